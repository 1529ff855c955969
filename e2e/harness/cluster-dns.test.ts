import { describe, expect, it } from 'vitest';
import { dnsmasqArgs, hostsFileText } from './cluster-dns.js';

describe('dnsmasq as the cluster DNS', () => {
  it('reads nothing of the machine, caches nothing and listens on one address', () => {
    const args = dnsmasqArgs({ listen: '10.250.0.10' }, '/run/x/hosts', '/run/x/pid');
    expect(args).toEqual(
      expect.arrayContaining([
        '--conf-file=/dev/null',
        '--no-resolv',
        '--no-hosts',
        '--cache-size=0',
        '--bind-interfaces',
        '--listen-address=10.250.0.10',
        '--port=53',
        '--addn-hosts=/run/x/hosts',
        '--pid-file=/run/x/pid',
        '--local=/cluster.local/',
      ]),
    );
    expect(args.some((a) => a.startsWith('--server='))).toBe(false);
  });

  it('forwards each zone to its server and port', () => {
    const args = dnsmasqArgs(
      {
        listen: '10.250.0.10',
        port: 1053,
        forward: [{ zone: 'mesh', server: '10.250.0.10', port: 5353 }],
        localZones: [],
      },
      'h',
      'p',
    );
    expect(args).toContain('--server=/mesh/10.250.0.10#5353');
    expect(args).toContain('--port=1053');
    expect(args.some((a) => a.startsWith('--local='))).toBe(false);
  });

  it('refuses a zone or host name that is not a DNS name', () => {
    expect(() =>
      dnsmasqArgs({ listen: '1.2.3.4', forward: [{ zone: 'me sh', server: '1.2.3.4', port: 53 }] }, 'h', 'p'),
    ).toThrow(/not a DNS name: "me sh"/);
    expect(() => hostsFileText({ 'a/b': '1.2.3.4' })).toThrow(/not a DNS name/);
  });

  it('writes one hosts line per name', () => {
    expect(
      hostsFileText({
        'web.shop.svc.cluster.local': '10.96.0.30',
        'db.shop.svc.cluster.local.': '10.96.0.31',
      }),
    ).toBe('10.96.0.30 web.shop.svc.cluster.local\n10.96.0.31 db.shop.svc.cluster.local\n');
  });
});
