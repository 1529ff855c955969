import { parseCidr } from './admission/cidr.js';

export interface CliOptions {
  port: number;
  host: string;
  serviceCidr: string;
  allowNonLoopback: boolean;
  help: boolean;
}

export const usage = `Usage: nodemesh-apiserver --port N [--host 127.0.0.1] [--service-cidr CIDR]

An in-memory Kubernetes API server for local mode and tests. Not a production API server:
no authentication, no persistence, loopback only by default.

Options:
  --port N              port to listen on (0 picks a free one; the chosen URL is printed)
  --host ADDR           address to listen on (default 127.0.0.1; loopback only unless
                        --allow-non-loopback is given)
  --service-cidr CIDR   block Service ClusterIPs are handed out from (default 10.96.0.0/16)
  --allow-non-loopback  permit a --host that is not a loopback address
  --help                show this text
`;

/** Parses the command line; errors say which flag is wrong and why. Pure. */
export function parseCliArgs(
  args: readonly string[],
  isLoopback: (host: string) => boolean,
): { ok: true; value: CliOptions } | { ok: false; error: string } {
  const out: CliOptions = {
    port: -1,
    host: '127.0.0.1',
    serviceCidr: '10.96.0.0/16',
    allowNonLoopback: false,
    help: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [flag = '', inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string | undefined => {
      if (inline !== undefined) return inline;
      i++;
      return args[i];
    };
    switch (flag) {
      case '--help':
      case '-h':
        out.help = true;
        break;
      case '--allow-non-loopback':
        out.allowNonLoopback = true;
        break;
      case '--port': {
        const v = value();
        if (v === undefined || !/^[0-9]{1,5}$/.test(v) || Number(v) > 65535) {
          return {
            ok: false,
            error: `--port needs a number from 0 to 65535, got ${JSON.stringify(v ?? '')}`,
          };
        }
        out.port = Number(v);
        break;
      }
      case '--host': {
        const v = value();
        if (!v) return { ok: false, error: '--host needs an address, e.g. 127.0.0.1' };
        out.host = v;
        break;
      }
      case '--service-cidr': {
        const v = value();
        if (!v) return { ok: false, error: '--service-cidr needs a CIDR, e.g. 10.96.0.0/16' };
        const cidr = parseCidr(v);
        if (!cidr.ok) return { ok: false, error: `--service-cidr: ${cidr.error}` };
        out.serviceCidr = v;
        break;
      }
      default:
        return { ok: false, error: `unknown argument ${JSON.stringify(arg)}` };
    }
  }
  if (out.help) return { ok: true, value: out };
  if (out.port < 0) return { ok: false, error: '--port is required' };
  if (!out.allowNonLoopback && !isLoopback(out.host)) {
    return {
      ok: false,
      error: `--host ${out.host} is not a loopback address; pass --allow-non-loopback to listen there anyway`,
    };
  }
  return { ok: true, value: out };
}
