import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MeshDnsServer } from '../../src/dns/index.js';
import { dig, metricValue, startServer } from './support.js';

// CI installs dnsutils; skip rather than fail where dig is missing.
describe.skipIf(!existsSync('/usr/bin/dig'))('mesh DNS server, asked by dig', () => {
  let server: MeshDnsServer;
  let port: number;
  let registry: Awaited<ReturnType<typeof startServer>>['registry'];

  beforeAll(async () => {
    ({ server, port, registry } = await startServer({ resolver: { ttl: 9 } }));
  });
  afterAll(async () => {
    await server?.stop();
  });

  const status = (output: string) => /status: (\w+)/.exec(output)?.[1];
  const flags = (output: string) => /flags: ([\w ]+);/.exec(output)?.[1]?.split(' ') ?? [];
  const answerLines = (output: string) =>
    output
      .trim()
      .split('\n')
      .filter((line) => line !== '');

  it('answers A with the ClusterIP, authoritatively, with the TTL', async () => {
    const output = await dig(port, 'orders.shop.mesh', 'A', '+noall', '+comments', '+answer');
    expect(status(output)).toBe('NOERROR');
    expect(flags(output)).toContain('aa');
    expect(output).toMatch(/orders\.shop\.mesh\.\s+9\s+IN\s+A\s+10\.96\.0\.10/);
  });

  it('answers AAAA', async () => {
    expect((await dig(port, 'orders.shop.mesh', 'AAAA', '+short')).trim()).toBe('fd00::a');
  });

  it('answers SRV with the A and AAAA records in additional', async () => {
    const output = await dig(port, '_http._tcp.orders.shop.mesh', 'SRV', '+noall', '+answer', '+additional');
    expect(output).toMatch(/SRV\s+0 100 8080 orders\.shop\.mesh\./);
    expect(output).toMatch(/orders\.shop\.mesh\.\s+9\s+IN\s+A\s+10\.96\.0\.10/);
    expect(output).toMatch(/orders\.shop\.mesh\.\s+9\s+IN\s+AAAA\s+fd00::a/);
  });

  it('answers SOA and NS at the apex', async () => {
    expect(await dig(port, 'mesh', 'SOA', '+short')).toMatch(
      /^ns\.dns\.mesh\. hostmaster\.mesh\. \d+ 7200 1800 86400 9/,
    );
    expect((await dig(port, 'mesh', 'NS', '+short')).trim()).toBe('ns.dns.mesh.');
  });

  it('answers NXDOMAIN with the SOA in authority', async () => {
    const output = await dig(port, 'missing.shop.mesh', 'A', '+noall', '+comments', '+authority');
    expect(status(output)).toBe('NXDOMAIN');
    expect(output).toMatch(/^mesh\.\s+9\s+IN\s+SOA\s+ns\.dns\.mesh\./m);
  });

  it('refuses names outside the zone', async () => {
    expect(status(await dig(port, 'example.com', 'A'))).toBe('REFUSED');
  });

  it('answers NXDOMAIN and REFUSED from stored bytes over UDP and TCP, with EDNS, in the case asked', async () => {
    const queries = 'nodemesh_dns_queries_total';
    for (const transport of ['+notcp', '+tcp']) {
      const nxBefore = await metricValue(registry, queries, { rcode: 'NXDOMAIN' });
      const nx = await dig(
        port,
        transport,
        '+dnssec',
        'Missing.SHOP.mesh',
        'TXT',
        '+noall',
        '+comments',
        '+authority',
      );
      expect(status(nx)).toBe('NXDOMAIN');
      expect(flags(nx)).toContain('aa');
      expect(nx).toMatch(/; EDNS: version: 0, flags: do; udp: 4096/);
      expect(nx).toMatch(
        /^mesh\.\s+9\s+IN\s+SOA\s+ns\.dns\.mesh\. hostmaster\.mesh\. \d+ 7200 1800 86400 9$/m,
      );
      expect(await metricValue(registry, queries, { rcode: 'NXDOMAIN' })).toBe(nxBefore + 1);
      const refused = await dig(
        port,
        transport,
        'Shop.Example.COM',
        'AAAA',
        '+noall',
        '+comments',
        '+question',
      );
      expect(status(refused)).toBe('REFUSED');
      expect(flags(refused)).not.toContain('aa');
      expect(refused).toMatch(/^;Shop\.Example\.COM\.\s+IN\s+AAAA$/m);
    }
    // A name whose label before the apex is the SOA's own (`dns`): answered in full, the same to dig.
    const full = await dig(port, 'nope.dns.mesh', 'A', '+noall', '+comments', '+authority');
    expect(status(full)).toBe('NXDOMAIN');
    expect(full).toMatch(/^mesh\.\s+9\s+IN\s+SOA\s+ns\.dns\.mesh\. hostmaster\.mesh\./m);
  });

  it('answers over TCP', async () => {
    const before = await metricValue(registry, 'nodemesh_dns_queries_total', { transport: 'tcp' });
    expect((await dig(port, '+tcp', 'orders.shop.mesh', 'A', '+short')).trim()).toBe('10.96.0.10');
    expect(await metricValue(registry, 'nodemesh_dns_queries_total', { transport: 'tcp' })).toBe(before + 1);
  });

  it('truncates a large answer over UDP, and dig gets it whole over TCP', async () => {
    const truncated = await dig(
      port,
      '+ignore',
      '+bufsize=1232',
      'many.big.mesh',
      'A',
      '+noall',
      '+comments',
    );
    expect(flags(truncated)).toContain('tc');
    const udp = await metricValue(registry, 'nodemesh_dns_queries_total', { transport: 'udp' });
    const tcp = await metricValue(registry, 'nodemesh_dns_queries_total', { transport: 'tcp' });
    const whole = await dig(port, '+bufsize=1232', 'many.big.mesh', 'A', '+short');
    expect(answerLines(whole)).toHaveLength(100);
    expect(await metricValue(registry, 'nodemesh_dns_queries_total', { transport: 'udp' })).toBe(udp + 1);
    expect(await metricValue(registry, 'nodemesh_dns_queries_total', { transport: 'tcp' })).toBe(tcp + 1);
  });

  it('honours +bufsize: a large enough buffer gets the answer over UDP', async () => {
    const output = await dig(
      port,
      '+ignore',
      '+bufsize=4096',
      'many.big.mesh',
      'A',
      '+noall',
      '+comments',
      '+answer',
    );
    expect(flags(output)).not.toContain('tc');
    expect(output).toMatch(/udp: 4096/);
    expect(output.match(/\sIN\s+A\s/g)).toHaveLength(100);
    const small = await dig(port, '+ignore', '+bufsize=512', 'many.big.mesh', 'A', '+noall', '+comments');
    expect(flags(small)).toContain('tc');
  });

  it('answers without OPT to a query without EDNS, and BADVERS to EDNS version 1', async () => {
    expect(await dig(port, '+noedns', 'orders.shop.mesh', 'A')).not.toMatch(/OPT PSEUDOSECTION/);
    expect(status(await dig(port, '+edns=1', '+noednsnegotiation', 'orders.shop.mesh', 'A'))).toBe('BADVERS');
  });

  it('answers in the case asked', async () => {
    expect(await dig(port, 'OrDeRs.Shop.MESH', 'A', '+noall', '+answer')).toMatch(/^OrDeRs\.Shop\.MESH\.\s/m);
  });
});
