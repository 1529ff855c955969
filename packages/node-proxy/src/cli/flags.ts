/**
 * The command line of `nodemesh-proxy`, parsed without side effects: every flag also as an environment
 * variable `NODEMESH_<FLAG>` (upper case, `-` → `_`), flags winning; `--node-name` falls back to `NODE_NAME`
 * (the downward API). Errors name the flag (or variable) and what it accepts; all of them are reported at once.
 */
import { isIP } from 'node:net';
import { type LogLevel, parseServerUrl } from '@nodemesh/kube-runtime';
import {
  DEFAULT_IDENTITY_TOKEN_FILE,
  DEFAULT_MESH_DOMAIN,
  DEFAULT_MESH_NAMESPACE,
  DEFAULT_MTLS_MODE,
  DEFAULT_TCP_PORT_RANGE,
  DEFAULT_UDP_PORT_RANGE,
  envNameOfFlag,
  HTTP_ENTRYPOINT_BASE,
  isDns1123Label,
  isDns1123Subdomain,
  isMtlsMode,
  isTrustDomain,
  MTLS_MODES,
  type MtlsMode,
  type PortRange,
  parsePortRange,
} from '@nodemesh/smi-types';
import { DEFAULT_CONNECTION_LIMITS } from '../listeners/connection-limiter.js';
import { DEFAULT_UDP_OPTIONS } from '../listeners/udp-listener.js';
import { DEFAULT_TUNNEL_PORT } from '../tunnel/tunnel-server.js';

/** Everything `nodemesh-proxy run` needs. */
export interface RunFlags {
  readonly server: string | undefined;
  readonly kubeconfig: string | undefined;
  readonly nodeName: string;
  readonly meshNamespace: string;
  readonly meshDomain: string;
  readonly listenHost: string;
  readonly adminHost: string;
  readonly adminPort: number;
  /** The debug listener's port on 127.0.0.1; 0: no debug listener. */
  readonly debugPort: number;
  readonly httpEntrypoints: number;
  readonly tcpPorts: PortRange;
  readonly udpPorts: PortRange;
  readonly accessControl: boolean;
  /** Open connections on the HTTP entrypoints and TCP listeners together, and from one source pod. */
  readonly maxConnections: number;
  readonly maxConnectionsPerSource: number;
  /** UDP sessions one source pod may hold on a UDP listener. */
  readonly udpSessionsPerSource: number;
  readonly tracingEndpoint: string | undefined;
  readonly tracingSampleRatio: number;
  readonly logLevel: LogLevel;
  /** Data-plane worker processes; undefined: the container's CPU limit (see workers/worker-count.ts). */
  readonly workers: number | undefined;
  /** The identity issuer's URL; undefined: workload identity off. */
  readonly identityIssuer: string | undefined;
  readonly identityTokenFile: string;
  readonly trustDomain: string;
  /** The port of the tunnel between node proxies (mTLS, docs/mtls.md), the same on every node; 0: none served. */
  readonly tunnelPort: number;
  /** The mesh-wide mTLS mode, for a Service whose shadow names none (the dns-controller resolves the rest). */
  readonly mtlsMode: MtlsMode;
}

export type ParsedCommand =
  | { readonly ok: true; readonly command: 'help' }
  | { readonly ok: true; readonly command: 'run'; readonly flags: RunFlags }
  | { readonly ok: false; readonly errors: readonly string[] };

type Env = Readonly<Record<string, string | undefined>>;

interface FlagSpec {
  readonly name: string;
  readonly boolean?: boolean;
}

/** The flags of `run`, in help order. */
export const RUN_FLAGS: readonly FlagSpec[] = [
  { name: 'server' },
  { name: 'kubeconfig' },
  { name: 'node-name' },
  { name: 'mesh-namespace' },
  { name: 'mesh-domain' },
  { name: 'listen-host' },
  { name: 'admin-host' },
  { name: 'admin-port' },
  { name: 'debug-port' },
  { name: 'http-entrypoints' },
  { name: 'tcp-ports' },
  { name: 'udp-ports' },
  { name: 'access-control', boolean: true },
  { name: 'max-connections' },
  { name: 'max-connections-per-source' },
  { name: 'udp-sessions-per-source' },
  { name: 'tracing-endpoint' },
  { name: 'tracing-sample-ratio' },
  { name: 'log-level' },
  { name: 'workers' },
  { name: 'identity-issuer' },
  { name: 'identity-token-file' },
  { name: 'trust-domain' },
  { name: 'tunnel-port' },
  { name: 'mtls-mode' },
];

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
/** The most HTTP entrypoints: a Service with more ports than this is not meshed anyway. */
const MAX_HTTP_ENTRYPOINTS = 100;
/** The most data-plane workers. */
export const MAX_WORKERS = 256;
/** Bounds of the connection and session limits (the defaults are DEFAULT_CONNECTION_LIMITS, DEFAULT_UDP_OPTIONS). */
const MAX_LIMIT = 1_000_000;

/** `http-entrypoints` → `NODEMESH_HTTP_ENTRYPOINTS`. */
export const envName = envNameOfFlag;

/** Parses `argv` (without node and the script) and the environment. Never throws. */
export function parseCommandLine(argv: readonly string[], env: Env): ParsedCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return { ok: true, command: 'help' };
  }
  if (command !== 'run') {
    return { ok: false, errors: [`unknown command ${JSON.stringify(command)}: expected run or --help`] };
  }
  if (rest.includes('--help') || rest.includes('-h')) return { ok: true, command: 'help' };
  const errors: string[] = [];
  const given = readArgs(rest, errors);
  const flags = readRunFlags(given, env, errors);
  return errors.length > 0 || flags === undefined
    ? { ok: false, errors }
    : { ok: true, command: 'run', flags };
}

/** `--flag value`, `--flag=value`, and bare `--flag` for booleans. */
function readArgs(args: readonly string[], errors: string[]): Map<string, string> {
  const given = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) {
      errors.push(`unexpected argument ${JSON.stringify(arg)}: flags look like --name value`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = RUN_FLAGS.find((f) => f.name === name);
    if (spec === undefined) {
      errors.push(
        `unknown flag --${name}: accepted flags are ${RUN_FLAGS.map((f) => `--${f.name}`).join(', ')}`,
      );
      continue;
    }
    if (given.has(name)) errors.push(`--${name}: given more than once`);
    if (eq !== -1) {
      given.set(name, arg.slice(eq + 1));
    } else if (spec.boolean === true) {
      given.set(name, 'true');
    } else {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) {
        errors.push(`--${name}: needs a value`);
        continue;
      }
      given.set(name, value);
      i++;
    }
  }
  return given;
}

function readRunFlags(given: Map<string, string>, env: Env, errors: string[]): RunFlags | undefined {
  /** The value and how to name its source in an error. */
  const raw = (flag: string): { value: string; source: string } | undefined => {
    const fromFlag = given.get(flag);
    if (fromFlag !== undefined) return { value: fromFlag, source: `--${flag}` };
    const variable = envName(flag);
    const fromEnv = env[variable];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: variable };
    return undefined;
  };
  const text = (flag: string, fallback: string) => raw(flag)?.value ?? fallback;
  /** A typed flag: `read` gives the value, or undefined when the text is not one (then `accepts` says why). */
  const check = <T>(
    flag: string,
    fallback: T,
    accepts: string,
    read: (value: string) => T | undefined,
  ): T => {
    const found = raw(flag);
    if (found === undefined) return fallback;
    const value = read(found.value);
    if (value === undefined) {
      errors.push(`${found.source}: ${accepts}, got ${JSON.stringify(found.value)}`);
      return fallback;
    }
    return value;
  };
  const checkText = (flag: string, fallback: string, valid: (value: string) => boolean, accepts: string) => {
    const found = raw(flag);
    if (found === undefined) return fallback;
    if (!valid(found.value))
      errors.push(`${found.source}: must be ${accepts}, got ${JSON.stringify(found.value)}`);
    return found.value;
  };

  const server = raw('server')?.value;
  if (server !== undefined) {
    try {
      parseServerUrl(server);
    } catch (error) {
      const message = error instanceof Error ? error.message.replace(/^server: /, '') : String(error);
      errors.push(`${raw('server')?.source}: ${message}`);
    }
  }
  const kubeconfig = raw('kubeconfig')?.value;

  const nodeFound =
    raw('node-name') ?? (env.NODE_NAME ? { value: env.NODE_NAME, source: 'NODE_NAME' } : undefined);
  let nodeName = '';
  if (nodeFound === undefined) {
    errors.push(
      '--node-name: required (or NODEMESH_NODE_NAME, or NODE_NAME from the downward API spec.nodeName)',
    );
  } else if (!isDns1123Subdomain(nodeFound.value)) {
    errors.push(
      `${nodeFound.source}: must be a node name (DNS-1123 subdomain), got ${JSON.stringify(nodeFound.value)}`,
    );
  } else {
    nodeName = nodeFound.value;
  }

  const meshNamespace = checkText(
    'mesh-namespace',
    DEFAULT_MESH_NAMESPACE,
    isDns1123Label,
    'a namespace name (DNS-1123 label)',
  );
  const meshDomain = checkText(
    'mesh-domain',
    DEFAULT_MESH_DOMAIN,
    (v) => v.split('.').every(isDns1123Label),
    'a DNS domain like mesh or mesh.example',
  );
  const listenHost = checkText('listen-host', '0.0.0.0', (v) => isIP(v) !== 0, 'an IPv4 or IPv6 address');
  const adminHost = checkText('admin-host', '0.0.0.0', (v) => isIP(v) !== 0, 'an IPv4 or IPv6 address');
  const adminPort = check('admin-port', 9090, 'must be a port from 0 to 65535', (v) =>
    integerIn(v, 0, 65535),
  );
  const debugPort = check('debug-port', 9091, 'must be a port from 0 (off) to 65535', (v) =>
    integerIn(v, 0, 65535),
  );
  if (debugPort !== 0 && debugPort === adminPort && adminHostCoversLoopback(adminHost)) {
    errors.push(`--debug-port: must differ from --admin-port ${adminPort}, got ${debugPort}`);
  }
  const httpEntrypoints = check(
    'http-entrypoints',
    10,
    `must be an integer from 1 to ${MAX_HTTP_ENTRYPOINTS}`,
    (v) => integerIn(v, 1, MAX_HTTP_ENTRYPOINTS),
  );
  const tcpPorts = check('tcp-ports', DEFAULT_TCP_PORT_RANGE, RANGE_FORMAT, parsePortRange);
  const udpPorts = check('udp-ports', DEFAULT_UDP_PORT_RANGE, RANGE_FORMAT, parsePortRange);
  const httpLast = HTTP_ENTRYPOINT_BASE + httpEntrypoints - 1;
  if (tcpPorts.first <= httpLast && HTTP_ENTRYPOINT_BASE <= tcpPorts.last) {
    errors.push(
      `--tcp-ports: must not overlap the HTTP entrypoints ${HTTP_ENTRYPOINT_BASE}-${httpLast}, got ${tcpPorts.first}-${tcpPorts.last}`,
    );
  }
  const accessControl = check('access-control', false, 'must be true or false', (v) =>
    v === 'true' ? true : v === 'false' ? false : undefined,
  );
  const limit = (flag: string, fallback: number) =>
    check(flag, fallback, `must be an integer from 1 to ${MAX_LIMIT}`, (v) => integerIn(v, 1, MAX_LIMIT));
  const maxConnections = limit('max-connections', DEFAULT_CONNECTION_LIMITS.maxConnections);
  const maxConnectionsPerSource = limit(
    'max-connections-per-source',
    DEFAULT_CONNECTION_LIMITS.maxConnectionsPerSource,
  );
  const udpSessionsPerSource = limit('udp-sessions-per-source', DEFAULT_UDP_OPTIONS.maxSessionsPerSource);
  const tracingEndpoint = raw('tracing-endpoint')?.value;
  if (tracingEndpoint !== undefined && !isHttpUrl(tracingEndpoint)) {
    errors.push(
      `${raw('tracing-endpoint')?.source}: must be an http(s) URL like http://otel-collector:4318/v1/traces, got ${JSON.stringify(tracingEndpoint)}`,
    );
  }
  const tracingSampleRatio = check('tracing-sample-ratio', 0.01, 'must be a number from 0 to 1', (v) => {
    const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
    return n >= 0 && n <= 1 ? n : undefined;
  });
  const level = text('log-level', 'info');
  const logLevel = LOG_LEVELS.find((l) => l === level);
  if (logLevel === undefined) {
    errors.push(
      `${raw('log-level')?.source}: must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`,
    );
  }
  const workers = check<number | undefined>(
    'workers',
    undefined,
    `must be an integer from 1 to ${MAX_WORKERS}`,
    (v) => integerIn(v, 1, MAX_WORKERS),
  );
  const identityIssuer = raw('identity-issuer')?.value;
  if (identityIssuer !== undefined && !/^https:\/\/[^/\s@]+\/?$/.test(identityIssuer)) {
    errors.push(
      `${raw('identity-issuer')?.source}: must be an https URL like https://nodemesh-identity.nodemesh.svc:9443, got ${JSON.stringify(identityIssuer)}`,
    );
  }
  const identityTokenFile = text('identity-token-file', DEFAULT_IDENTITY_TOKEN_FILE);
  const trustDomain = checkText(
    'trust-domain',
    'cluster.local',
    isTrustDomain,
    'a trust domain such as cluster.local',
  );
  const tunnelPort = check('tunnel-port', DEFAULT_TUNNEL_PORT, 'must be a port from 0 (none) to 65535', (v) =>
    integerIn(v, 0, 65535),
  );
  const mtlsMode = check('mtls-mode', DEFAULT_MTLS_MODE, `must be one of ${MTLS_MODES.join(', ')}`, (v) =>
    isMtlsMode(v) ? v : undefined,
  );
  if (errors.length > 0 || logLevel === undefined) return undefined;
  return {
    server,
    kubeconfig,
    nodeName,
    meshNamespace,
    meshDomain,
    listenHost,
    adminHost,
    adminPort,
    debugPort,
    httpEntrypoints,
    tcpPorts,
    udpPorts,
    accessControl,
    maxConnections,
    maxConnectionsPerSource,
    udpSessionsPerSource,
    tracingEndpoint,
    tracingSampleRatio,
    logLevel,
    workers,
    identityIssuer,
    identityTokenFile,
    trustDomain,
    tunnelPort,
    mtlsMode,
  };
}

const RANGE_FORMAT = 'must be a port range FIRST-LAST with 1 <= FIRST <= LAST <= 65535';

/** Whether an admin listener on `host` would hold 127.0.0.1 too (then the two ports must differ). */
function adminHostCoversLoopback(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '127.0.0.1';
}

function integerIn(text: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
