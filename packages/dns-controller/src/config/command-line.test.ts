import { formatFieldErrors } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { envName, parseCommandLine } from './command-line.js';
import { DEFAULT_CONTROLLER_CONFIG } from './controller-config.js';

const errorsOf = (argv: string[], env: Record<string, string> = {}) => {
  const result = parseCommandLine(argv, env);
  return result.ok ? '' : formatFieldErrors(result.errors);
};

describe('parseCommandLine', () => {
  it('gives the contract defaults for a bare command', () => {
    const result = parseCommandLine(['run'], {});
    expect(result).toEqual({ ok: true, value: { command: 'run', config: DEFAULT_CONTROLLER_CONFIG } });
    expect(DEFAULT_CONTROLLER_CONFIG).toMatchObject({
      meshNamespace: 'nodemesh',
      meshDomain: 'mesh',
      dnsPort: 5353,
      dnsTtlSeconds: 30,
      adminPort: 9090,
      tcpPorts: { first: 10000, last: 14999 },
      udpPorts: { first: 15000, last: 19999 },
      ignoreNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
      clusterDns: 'auto',
    });
  });

  it('reads the identity flags, off by default, and refuses bad values', () => {
    expect(DEFAULT_CONTROLLER_CONFIG.identityRole).toBe(false);
    const result = parseCommandLine(
      [
        'run',
        '--identity=true',
        '--trust-domain=example.org',
        '--identity-port=8443',
        '--identity-host=127.0.0.1',
        '--identity-secret=my-issuer',
        '--identity-create-issuer=false',
        '--certificate-ttl=2h',
      ],
      {},
    );
    expect(result.ok && result.value.config.identityRole).toBe(true);
    expect(result.ok && result.value.config.identitySettings).toMatchObject({
      trustDomain: 'example.org',
      issuerPort: 8443,
      issuerHost: '127.0.0.1',
      issuerSecret: 'my-issuer',
      createIssuer: false,
      certificateTtlSeconds: 7200,
    });
    expect(errorsOf(['run', '--identity=yes', '--certificate-ttl=10s', '--trust-domain=Bad!'])).toBe(
      [
        '--identity: must be true or false, got "yes"',
        '--certificate-ttl: must be a duration in whole seconds from 60s to 720h, such as 24h, got "10s"',
        '--trust-domain: must be a trust domain such as cluster.local, got "Bad!"',
      ].join('\n'),
    );
  });

  it('reads flags in both spellings', () => {
    const result = parseCommandLine(
      [
        'run',
        '--server',
        'http://127.0.0.1:8080',
        '--dns-port=0',
        '--dns-ttl',
        '1m',
        '--tcp-ports=20000-20010',
        '--watch-namespaces',
        'shop, web',
        '--cluster-dns=none',
        '--default-traffic-type',
        'tcp',
        '--lease-duration=3s',
        '--lease-renew-deadline=2s',
        '--lease-retry-period=500ms',
      ],
      {},
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.config).toMatchObject({
      server: 'http://127.0.0.1:8080',
      dnsPort: 0,
      dnsTtlSeconds: 60,
      tcpPorts: { first: 20000, last: 20010 },
      watchNamespaces: ['shop', 'web'],
      clusterDns: 'none',
      defaultTrafficType: 'tcp',
      leaseDurationMs: 3000,
      leaseRenewDeadlineMs: 2000,
      leaseRetryPeriodMs: 500,
    });
  });

  it('takes NODEMESH_* variables, and flags win over them', () => {
    expect(envName('dns-ttl')).toBe('NODEMESH_DNS_TTL');
    const result = parseCommandLine(['prepare', '--mesh-domain', 'flag.example'], {
      NODEMESH_MESH_DOMAIN: 'env.example',
      NODEMESH_DNS_SERVICE: 'my-dns',
    });
    expect(result.ok && result.value.config.meshDomain).toBe('flag.example');
    expect(result.ok && result.value.config.dnsService).toBe('my-dns');
    expect(result.ok && result.value.command).toBe('prepare');
  });

  it('reads the mesh-wide mTLS mode, permissive by default, from the flag or NODEMESH_MTLS_MODE', () => {
    const mode = (argv: string[], env: Record<string, string> = {}) => {
      const result = parseCommandLine(['run', ...argv], env);
      return result.ok ? result.value.config.mtlsMode : undefined;
    };
    expect(mode([])).toBe('permissive');
    expect(mode(['--mtls-mode', 'strict'])).toBe('strict');
    expect(mode([], { NODEMESH_MTLS_MODE: 'off' })).toBe('off');
    expect(mode(['--mtls-mode=strict'], { NODEMESH_MTLS_MODE: 'off' })).toBe('strict');
    expect(errorsOf(['run', '--mtls-mode', 'on'])).toBe(
      '--mtls-mode: must be one of off, permissive, strict, got "on"',
    );
  });

  it('answers help whatever else is given', () => {
    expect(parseCommandLine(['--help'], {})).toMatchObject({ ok: true, value: { command: 'help' } });
    expect(parseCommandLine(['run', '-h', '--dns-port', 'x'], {})).toMatchObject({
      value: { command: 'help' },
    });
  });

  it('names the flag and the accepted values in every error', () => {
    expect(errorsOf(['run', '--cluster-dns', 'bind'])).toBe(
      '--cluster-dns: must be one of auto, coredns, coredns-custom, kube-dns, none, got "bind"',
    );
    expect(errorsOf(['run', '--dns-port', '99999'])).toContain(
      '--dns-port: must be a port number from 0 to 65535',
    );
    expect(errorsOf(['run', '--dns-ttl', '1.5s'])).toContain(
      '--dns-ttl: must be a duration in whole seconds',
    );
    expect(errorsOf(['run', '--tcp-ports', '15000-10000'])).toContain(
      '--tcp-ports: must be a port range FIRST-LAST',
    );
    expect(errorsOf(['run', '--dns-host', 'localhost'])).toContain(
      '--dns-host: must be an IPv4 or IPv6 address',
    );
    expect(errorsOf(['run', '--log-level', 'trace'])).toBe(
      '--log-level: must be one of debug, info, warn, error, got "trace"',
    );
    expect(errorsOf(['run', '--watch-namespaces', 'Shop'])).toContain(
      '--watch-namespaces: must be comma-separated',
    );
    expect(errorsOf(['run', '--nope', '1'])).toBe(
      '--nope: is not a flag of nodemesh-dns; see --help for the flags',
    );
    expect(errorsOf(['run', '--dns-port'])).toBe('--dns-port: needs a value');
    expect(errorsOf(['run'], { NODEMESH_HTTP_ENTRYPOINTS: 'ten' })).toBe(
      'NODEMESH_HTTP_ENTRYPOINTS: must be an integer from 1 to 1000, got "ten"',
    );
  });

  it('rejects a missing, unknown or doubled command', () => {
    expect(errorsOf([])).toContain('command: is missing');
    expect(errorsOf(['serve'])).toBe('command: must be one of run, prepare, cleanup, got "serve"');
    expect(errorsOf(['run', 'cleanup'])).toContain('only one command');
  });

  it('checks the flags against each other', () => {
    expect(errorsOf(['run', '--tcp-ports', '4000-5000'])).toContain(
      '--tcp-ports: must not overlap the HTTP entrypoints 5000-5009',
    );
    expect(errorsOf(['run', '--http-entrypoints', '5001', '--udp-ports', '5500-5600'])).toContain(
      '--http-entrypoints',
    );
    expect(errorsOf(['run', '--lease-duration', '5s'])).toContain('--lease-duration: must be longer');
  });

  it('never throws on odd input', () => {
    for (const argv of [[''], ['--'], ['--='], ['run', '--server='], ['run', '--=x']]) {
      expect(() => parseCommandLine(argv, { NODEMESH_: 'x' })).not.toThrow();
    }
  });
});
