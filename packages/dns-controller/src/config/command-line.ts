/**
 * The command line of `nodemesh-dns`: a command, `--flag value` or `--flag=value`, and every flag also as an
 * environment variable `NODEMESH_<FLAG>` (flags win). Pure: argv and env in, a config or every error out, each
 * naming the flag (or variable) and the values it accepts.
 */
import { isIP } from 'node:net';
import {
  describeValue,
  envNameOfFlag,
  type FieldError,
  fail,
  HTTP_ENTRYPOINT_BASE,
  isDns1123Label,
  isDns1123Subdomain,
  isTrustDomain,
  MAX_CERTIFICATE_TTL_SECONDS,
  MIN_CERTIFICATE_TTL_SECONDS,
  MTLS_MODES,
  type MtlsMode,
  ok,
  type PortRange,
  parseDuration,
  parsePortRange,
  type Result,
  type TrafficType,
} from '@nodemesh/smi-types';
import { validateMeshDomain } from '../dns/zone.js';
import {
  CLUSTER_DNS_MODES,
  type ClusterDnsMode,
  type ControllerConfig,
  type ControllerLogLevel,
  DEFAULT_CONTROLLER_CONFIG,
} from './controller-config.js';

export type Command = 'run' | 'prepare' | 'cleanup' | 'help';

export const COMMANDS: readonly Exclude<Command, 'help'>[] = ['run', 'prepare', 'cleanup'];

export interface CommandLine {
  readonly command: Command;
  readonly config: ControllerConfig;
}

type Draft = { -readonly [K in keyof ControllerConfig]: ControllerConfig[K] };
/** Reads one value into the draft, or returns what is wrong with it ("must be …, got …"). */
type FlagReader = (value: string, draft: Draft) => string | undefined;

const got = (value: string) => `got ${describeValue(value)}`;

function oneOf<T extends string>(allowed: readonly T[], set: (draft: Draft, value: T) => void): FlagReader {
  return (value, draft) => {
    const found = allowed.find((a) => a === value);
    if (found === undefined) return `must be one of ${allowed.join(', ')}, ${got(value)}`;
    set(draft, found);
    return undefined;
  };
}

function port(set: (draft: Draft, port: number) => void): FlagReader {
  return (value, draft) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > 65535)
      return `must be a port number from 0 to 65535 (0: any free port), ${got(value)}`;
    set(draft, n);
    return undefined;
  };
}

function host(set: (draft: Draft, host: string) => void): FlagReader {
  return (value, draft) => {
    if (isIP(value) === 0) return `must be an IPv4 or IPv6 address such as 0.0.0.0 or ::, ${got(value)}`;
    set(draft, value);
    return undefined;
  };
}

function name(kind: 'label' | 'subdomain', set: (draft: Draft, name: string) => void): FlagReader {
  return (value, draft) => {
    const valid = kind === 'label' ? isDns1123Label(value) : isDns1123Subdomain(value);
    if (!valid) return `must be a DNS-1123 ${kind} (lower-case letters, digits and '-'), ${got(value)}`;
    set(draft, value);
    return undefined;
  };
}

function duration(min: number, set: (draft: Draft, ms: number) => void, wholeSeconds = false): FlagReader {
  return (value, draft) => {
    const ms = parseDuration(value);
    const whole = wholeSeconds ? ' in whole seconds' : '';
    if (ms === undefined || ms < min || (wholeSeconds && ms % 1000 !== 0)) {
      return `must be a duration${whole} of at least ${min / 1000}s such as 30s or 1m, ${got(value)}`;
    }
    set(draft, ms);
    return undefined;
  };
}

function portRange(set: (draft: Draft, range: PortRange) => void): FlagReader {
  return (value, draft) => {
    const range = parsePortRange(value);
    if (range === undefined) {
      return `must be a port range FIRST-LAST with 1 <= FIRST <= LAST <= 65535, such as 10000-14999, ${got(value)}`;
    }
    set(draft, range);
    return undefined;
  };
}

function namespaces(set: (draft: Draft, list: string[]) => void): FlagReader {
  return (value, draft) => {
    const list = value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    const bad = list.filter((item) => !isDns1123Label(item));
    if (bad.length > 0)
      return `must be comma-separated namespace names, got ${bad.map((b) => describeValue(b)).join(', ')}`;
    set(draft, list);
    return undefined;
  };
}

function bool(set: (draft: Draft, value: boolean) => void): FlagReader {
  return (value, draft) => {
    if (value !== 'true' && value !== 'false') return `must be true or false, ${got(value)}`;
    set(draft, value === 'true');
    return undefined;
  };
}

/** Sets one field of the config. */
const field =
  <K extends keyof Draft>(key: K) =>
  (draft: Draft, value: Draft[K]) => {
    draft[key] = value;
  };

/** Sets one field of the identity settings. */
const identity =
  <K extends keyof ControllerConfig['identitySettings']>(key: K) =>
  (draft: Draft, value: ControllerConfig['identitySettings'][K]) => {
    draft.identitySettings = { ...draft.identitySettings, [key]: value };
  };

/** Every flag, in the order `--help` lists them. */
export const FLAGS: Readonly<Record<string, { readonly help: string; readonly read: FlagReader }>> = {
  server: {
    help: 'API server URL without credentials (local mode); default: --kubeconfig, else in-cluster',
    read: (value, draft) => {
      if (!/^https?:\/\/[^/\s@]+\/?$/.test(value))
        return `must be a URL such as http://127.0.0.1:8080, ${got(value)}`;
      draft.server = value;
      return undefined;
    },
  },
  kubeconfig: {
    help: 'kubeconfig file (its current context)',
    read: (value, draft) => {
      if (value === '') return 'must be a file path';
      draft.kubeconfig = value;
      return undefined;
    },
  },
  'mesh-namespace': {
    help: 'where shadow Services live (default nodemesh)',
    read: name('label', field('meshNamespace')),
  },
  'mesh-domain': {
    help: 'the DNS zone (default mesh)',
    read: (value, draft) => {
      const checked = validateMeshDomain(value);
      if (!checked.ok) return `must be lower-case DNS labels separated by dots such as mesh, ${got(value)}`;
      draft.meshDomain = checked.value;
      return undefined;
    },
  },
  'dns-host': {
    help: 'DNS listen address (default 0.0.0.0)',
    read: host(field('dnsHost')),
  },
  'dns-port': {
    help: 'DNS UDP and TCP port (default 5353)',
    read: port(field('dnsPort')),
  },
  'dns-ttl': {
    help: 'TTL of answers (default 30s)',
    read: duration(
      0,
      (d, v) => {
        d.dnsTtlSeconds = v / 1000;
      },
      true,
    ),
  },
  'dns-service': {
    help: 'the Service in the mesh namespace the cluster DNS forwards to (default nodemesh-dns)',
    read: name('label', field('dnsService')),
  },
  'admin-host': {
    help: 'address of /healthz, /readyz, /metrics (default 0.0.0.0)',
    read: host(field('adminHost')),
  },
  'admin-port': {
    help: 'port of /healthz, /readyz, /metrics (default 9090)',
    read: port(field('adminPort')),
  },
  'tcp-ports': {
    help: 'TCP allocation range (default 10000-14999)',
    read: portRange(field('tcpPorts')),
  },
  'udp-ports': {
    help: 'UDP allocation range (default 15000-19999)',
    read: portRange(field('udpPorts')),
  },
  'http-entrypoints': {
    help: 'number of HTTP entrypoints, 5000 … 5000+N-1 (default 10)',
    read: (value, draft) => {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < 1 || n > 1000)
        return `must be an integer from 1 to 1000, ${got(value)}`;
      draft.httpEntrypoints = n;
      return undefined;
    },
  },
  'default-traffic-type': {
    help: 'traffic type of Services without the annotation: http, tcp, udp (default http)',
    read: oneOf<TrafficType>(['http', 'tcp', 'udp'], field('defaultTrafficType')),
  },
  'mtls-mode': {
    help: 'mesh-wide mTLS mode: off, permissive, strict (default permissive); nodemesh.io/mtls wins',
    read: oneOf<MtlsMode>(MTLS_MODES, field('mtlsMode')),
  },
  'watch-namespaces': {
    help: 'comma-separated namespaces to mesh (default: all)',
    read: namespaces(field('watchNamespaces')),
  },
  'ignore-namespaces': {
    help: 'comma-separated namespaces never meshed (default kube-system,kube-public,kube-node-lease)',
    read: namespaces(field('ignoreNamespaces')),
  },
  'lease-name': {
    help: 'the coordination.k8s.io Lease in the mesh namespace (default nodemesh-dns-controller)',
    read: name('subdomain', field('leaseName')),
  },
  'lease-duration': {
    help: 'how long a standby waits for an unrenewed lease (default 15s)',
    read: duration(1000, field('leaseDurationMs')),
  },
  'lease-renew-deadline': {
    help: 'the leader steps down if it cannot renew for this long (default 10s)',
    read: duration(1, field('leaseRenewDeadlineMs')),
  },
  'lease-retry-period': {
    help: 'time between lease attempts (default 2s)',
    read: duration(1, field('leaseRetryPeriodMs')),
  },
  'cluster-dns': {
    help: 'auto, coredns, coredns-custom, kube-dns, none (default auto)',
    read: oneOf<ClusterDnsMode>(CLUSTER_DNS_MODES, field('clusterDns')),
  },
  identity: {
    help: 'run the identity role: mesh CA, trust bundle, certificate issuer (true, false; default false)',
    read: bool(field('identityRole')),
  },
  'trust-domain': {
    help: 'SPIFFE trust domain of workload certificates (default cluster.local)',
    read: (value, draft) => {
      if (!isTrustDomain(value)) return `must be a trust domain such as cluster.local, ${got(value)}`;
      identity('trustDomain')(draft, value);
      return undefined;
    },
  },
  'identity-host': {
    help: 'address of the certificate issuer, HTTPS (default 0.0.0.0)',
    read: host(identity('issuerHost')),
  },
  'identity-port': {
    help: 'port of the certificate issuer, HTTPS (default 9443)',
    read: port(identity('issuerPort')),
  },
  'identity-secret': {
    help: 'the issuer Secret in the mesh namespace: tls.crt, tls.key, ca.crt (default nodemesh-identity-issuer)',
    read: name('subdomain', identity('issuerSecret')),
  },
  'identity-create-issuer': {
    help: 'create a root and issuer when the issuer Secret is absent (true, false; default true)',
    read: bool(identity('createIssuer')),
  },
  'certificate-ttl': {
    help: 'lifetime of workload certificates, renewed at half of it (default 24h)',
    read: (value, draft) => {
      const ms = parseDuration(value);
      if (
        ms === undefined ||
        ms % 1000 !== 0 ||
        ms < MIN_CERTIFICATE_TTL_SECONDS * 1000 ||
        ms > MAX_CERTIFICATE_TTL_SECONDS * 1000
      ) {
        return `must be a duration in whole seconds from ${MIN_CERTIFICATE_TTL_SECONDS}s to ${(MAX_CERTIFICATE_TTL_SECONDS / 86400) * 24}h, such as 24h, ${got(value)}`;
      }
      identity('certificateTtlSeconds')(draft, ms / 1000);
      return undefined;
    },
  },
  'log-level': {
    help: 'debug, info, warn, error (default info)',
    read: oneOf<ControllerLogLevel>(['debug', 'info', 'warn', 'error'], field('logLevel')),
  },
};

/** `dns-ttl` → `NODEMESH_DNS_TTL`. */
export const envName = envNameOfFlag;

/** Parses argv (without `node` and the script) and the environment. Never throws. */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Result<CommandLine> {
  const draft: Draft = { ...DEFAULT_CONTROLLER_CONFIG };
  const errors: FieldError[] = [];
  for (const [flag, { read }] of Object.entries(FLAGS)) {
    const value = env[envName(flag)];
    if (value === undefined) continue;
    const problem = read(value, draft);
    if (problem !== undefined) errors.push({ path: envName(flag), message: problem });
  }

  let command: Command | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h' || arg === 'help') {
      command = 'help';
      continue;
    }
    if (!arg.startsWith('--')) {
      const known = COMMANDS.find((c) => c === arg);
      if (known === undefined) {
        errors.push({ path: 'command', message: `must be one of ${COMMANDS.join(', ')}, ${got(arg)}` });
      } else if (command !== undefined && command !== 'help') {
        errors.push({ path: 'command', message: `only one command may be given, got ${command} and ${arg}` });
      } else if (command === undefined) {
        command = known;
      }
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = FLAGS[flag];
    if (spec === undefined) {
      errors.push({ path: `--${flag}`, message: `is not a flag of nodemesh-dns; see --help for the flags` });
      if (eq === -1 && argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('--')) i++;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) {
      errors.push({ path: `--${flag}`, message: 'needs a value' });
      continue;
    }
    const problem = spec.read(value, draft);
    if (problem !== undefined) errors.push({ path: `--${flag}`, message: problem });
  }
  if (command === 'help') return ok({ command, config: draft });
  if (command === undefined && errors.length === 0) {
    errors.push({ path: 'command', message: `is missing: give one of ${COMMANDS.join(', ')}, or --help` });
  }
  errors.push(...crossChecks(draft));
  if (errors.length > 0 || command === undefined) return fail(errors);
  return ok({ command, config: draft });
}

/** Rules between flags: lease timings in order, allocation ranges clear of the HTTP entrypoints. */
function crossChecks(config: ControllerConfig): FieldError[] {
  const errors: FieldError[] = [];
  if (
    !(
      config.leaseDurationMs > config.leaseRenewDeadlineMs &&
      config.leaseRenewDeadlineMs > config.leaseRetryPeriodMs
    )
  ) {
    errors.push({
      path: '--lease-duration',
      message: `must be longer than --lease-renew-deadline, itself longer than --lease-retry-period, got ${config.leaseDurationMs}ms, ${config.leaseRenewDeadlineMs}ms, ${config.leaseRetryPeriodMs}ms`,
    });
  }
  const lastEntrypoint = HTTP_ENTRYPOINT_BASE + config.httpEntrypoints - 1;
  for (const [flag, range] of [
    ['--tcp-ports', config.tcpPorts],
    ['--udp-ports', config.udpPorts],
  ] as const) {
    if (range.first <= lastEntrypoint && range.last >= HTTP_ENTRYPOINT_BASE) {
      errors.push({
        path: flag,
        message: `must not overlap the HTTP entrypoints ${HTTP_ENTRYPOINT_BASE}-${lastEntrypoint} (--http-entrypoints ${config.httpEntrypoints}), got ${range.first}-${range.last}`,
      });
    }
  }
  return errors;
}
