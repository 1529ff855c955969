import { describe, expect, it } from 'vitest';
import { envName, parseCommandLine, type RunFlags } from './flags.js';

function run(argv: string[], env: Record<string, string> = {}): RunFlags {
  const parsed = parseCommandLine(['run', ...argv], env);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  if (parsed.command !== 'run') throw new Error('not run');
  return parsed.flags;
}

function errors(argv: string[], env: Record<string, string> = {}): readonly string[] {
  const parsed = parseCommandLine(argv, env);
  return parsed.ok ? [] : parsed.errors;
}

describe('parseCommandLine', () => {
  it('has the defaults of the contract', () => {
    expect(run(['--node-name', 'node-a'])).toEqual({
      server: undefined,
      kubeconfig: undefined,
      nodeName: 'node-a',
      meshNamespace: 'nodemesh',
      meshDomain: 'mesh',
      listenHost: '0.0.0.0',
      adminHost: '0.0.0.0',
      adminPort: 9090,
      debugPort: 9091,
      httpEntrypoints: 10,
      tcpPorts: { first: 10000, last: 14999 },
      udpPorts: { first: 15000, last: 19999 },
      accessControl: false,
      maxConnections: 16384,
      maxConnectionsPerSource: 1024,
      udpSessionsPerSource: 1024,
      tracingEndpoint: undefined,
      tracingSampleRatio: 0.01,
      logLevel: 'info',
      workers: undefined,
      identityIssuer: undefined,
      identityTokenFile: '/var/run/secrets/nodemesh/identity/token',
      trustDomain: 'cluster.local',
      tunnelPort: 15008,
      mtlsMode: 'permissive',
    });
  });

  it('reads the mTLS flags and refuses a mode that is not one', () => {
    expect(run(['--node-name=a', '--tunnel-port=0', '--mtls-mode=strict'])).toMatchObject({
      tunnelPort: 0,
      mtlsMode: 'strict',
    });
    const bad = parseCommandLine(['run', '--node-name=a', '--mtls-mode=on', '--tunnel-port=70000'], {});
    expect(bad.ok ? [] : bad.errors).toEqual([
      '--tunnel-port: must be a port from 0 (none) to 65535, got "70000"',
      '--mtls-mode: must be one of off, permissive, strict, got "on"',
    ]);
  });

  it('reads the identity flags and refuses an issuer that is not https or a bad trust domain', () => {
    const flags = run([
      '--node-name=a',
      '--identity-issuer=https://nodemesh-identity.nodemesh.svc:9443',
      '--identity-token-file=/tmp/t',
      '--trust-domain=example.org',
    ]);
    expect(flags).toMatchObject({
      identityIssuer: 'https://nodemesh-identity.nodemesh.svc:9443',
      identityTokenFile: '/tmp/t',
      trustDomain: 'example.org',
    });
    const bad = parseCommandLine(
      ['run', '--node-name=a', '--identity-issuer=http://x:1', '--trust-domain=Bad'],
      {},
    );
    expect(bad.ok ? [] : bad.errors.map((e) => e.split(':')[0])).toEqual([
      '--identity-issuer',
      '--trust-domain',
    ]);
  });

  it('reads every flag, in both --flag value and --flag=value forms', () => {
    const flags = run([
      '--server=http://127.0.0.1:6443',
      '--node-name',
      'node-b',
      '--mesh-namespace',
      'mesh-system',
      '--mesh-domain=mesh.example',
      '--listen-host',
      '127.0.0.1',
      '--admin-host=::1',
      '--admin-port',
      '0',
      '--http-entrypoints',
      '3',
      '--tcp-ports',
      '20000-20009',
      '--udp-ports=21000-21000',
      '--access-control',
      '--max-connections=5000',
      '--max-connections-per-source',
      '100',
      '--udp-sessions-per-source',
      '64',
      '--tracing-endpoint',
      'http://otel:4318/v1/traces',
      '--tracing-sample-ratio',
      '0.5',
      '--log-level',
      'debug',
      '--workers',
      '4',
    ]);
    expect(flags).toMatchObject({
      server: 'http://127.0.0.1:6443',
      nodeName: 'node-b',
      meshNamespace: 'mesh-system',
      meshDomain: 'mesh.example',
      listenHost: '127.0.0.1',
      adminHost: '::1',
      adminPort: 0,
      httpEntrypoints: 3,
      tcpPorts: { first: 20000, last: 20009 },
      udpPorts: { first: 21000, last: 21000 },
      accessControl: true,
      maxConnections: 5000,
      maxConnectionsPerSource: 100,
      udpSessionsPerSource: 64,
      tracingEndpoint: 'http://otel:4318/v1/traces',
      tracingSampleRatio: 0.5,
      logLevel: 'debug',
      workers: 4,
    });
    expect(run(['--node-name=a'], { NODEMESH_WORKERS: '2' }).workers).toBe(2);
    expect(errors(['run', '--node-name=a', '--workers=0'])).toEqual([
      '--workers: must be an integer from 1 to 256, got "0"',
    ]);
    expect(run(['--node-name=a', '--access-control=false']).accessControl).toBe(false);
  });

  it('takes NODEMESH_* variables, flags winning, and NODE_NAME last', () => {
    expect(envName('tracing-sample-ratio')).toBe('NODEMESH_TRACING_SAMPLE_RATIO');
    const env = {
      NODE_NAME: 'from-downward-api',
      NODEMESH_ADMIN_PORT: '9191',
      NODEMESH_ACCESS_CONTROL: 'true',
    };
    expect(run([], env)).toMatchObject({
      nodeName: 'from-downward-api',
      adminPort: 9191,
      accessControl: true,
    });
    expect(run(['--admin-port', '9292'], { ...env, NODEMESH_NODE_NAME: 'n2' })).toMatchObject({
      nodeName: 'n2',
      adminPort: 9292,
    });
    expect(run(['--node-name', 'n3'], { ...env, NODEMESH_NODE_NAME: 'n2' }).nodeName).toBe('n3');
  });

  it('takes --debug-port (0 turns the debug listener off) and refuses the admin port for it', () => {
    expect(run(['--node-name=a', '--debug-port', '0']).debugPort).toBe(0);
    expect(run(['--node-name=a'], { NODEMESH_DEBUG_PORT: '19092' }).debugPort).toBe(19092);
    expect(errors(['run', '--node-name=a', '--debug-port=9090'])).toEqual([
      '--debug-port: must differ from --admin-port 9090, got 9090',
    ]);
    expect(errors(['run', '--node-name=a', '--debug-port=-1'])).toEqual([
      '--debug-port: must be a port from 0 (off) to 65535, got "-1"',
    ]);
    // Admin on another address: the same port number does not collide with 127.0.0.1.
    expect(run(['--node-name=a', '--admin-host=10.0.0.1', '--debug-port=9090']).debugPort).toBe(9090);
  });

  it('answers help for --help, -h, help, no command, and run --help', () => {
    for (const argv of [['--help'], ['-h'], ['help'], [], ['run', '--help']]) {
      expect(parseCommandLine(argv, {})).toEqual({ ok: true, command: 'help' });
    }
  });

  it('names the flag or variable and the accepted values in every error, and reports them all', () => {
    const all = errors(
      [
        'run',
        '--admin-port',
        '70000',
        '--tcp-ports',
        '15000-14000',
        '--udp-ports',
        'ten',
        '--log-level',
        'loud',
        '--access-control=yes',
        '--max-connections-per-source',
        '0',
        '--tracing-sample-ratio',
        '2',
        '--listen-host',
        'localhost',
        '--server',
        'ftp://x',
        '--tracing-endpoint',
        'otel:4318',
        '--http-entrypoints',
        '0',
        '--mesh-namespace',
        'Mesh_NS',
      ],
      { NODEMESH_MESH_DOMAIN: 'bad..domain' },
    );
    expect(all).toEqual([
      expect.stringMatching(/^--server: must use http or https/),
      '--node-name: required (or NODEMESH_NODE_NAME, or NODE_NAME from the downward API spec.nodeName)',
      '--mesh-namespace: must be a namespace name (DNS-1123 label), got "Mesh_NS"',
      'NODEMESH_MESH_DOMAIN: must be a DNS domain like mesh or mesh.example, got "bad..domain"',
      '--listen-host: must be an IPv4 or IPv6 address, got "localhost"',
      '--admin-port: must be a port from 0 to 65535, got "70000"',
      '--http-entrypoints: must be an integer from 1 to 100, got "0"',
      '--tcp-ports: must be a port range FIRST-LAST with 1 <= FIRST <= LAST <= 65535, got "15000-14000"',
      '--udp-ports: must be a port range FIRST-LAST with 1 <= FIRST <= LAST <= 65535, got "ten"',
      '--access-control: must be true or false, got "yes"',
      '--max-connections-per-source: must be an integer from 1 to 1000000, got "0"',
      expect.stringMatching(/^--tracing-endpoint: must be an http\(s\) URL/),
      '--tracing-sample-ratio: must be a number from 0 to 1, got "2"',
      '--log-level: must be one of debug, info, warn, error, got "loud"',
    ]);
  });

  it('rejects unknown commands and flags, missing values, repeats, stray arguments and overlapping ports', () => {
    expect(errors(['serve'])).toEqual(['unknown command "serve": expected run or --help']);
    expect(errors(['run', '--node-name', 'a', '--port', '1'])[0]).toMatch(
      /^unknown flag --port: accepted flags are --server, /,
    );
    expect(errors(['run', '--node-name'])).toContain('--node-name: needs a value');
    expect(errors(['run', '--node-name', 'a', '--node-name', 'b'])).toContain(
      '--node-name: given more than once',
    );
    expect(errors(['run', '--node-name', 'a', 'extra'])[0]).toMatch(/^unexpected argument "extra"/);
    expect(errors(['run', '--node-name', 'a', '--tcp-ports', '5005-6000'])).toEqual([
      '--tcp-ports: must not overlap the HTTP entrypoints 5000-5009, got 5005-6000',
    ]);
  });
});
