/**
 * The clients a user's pod would run, each run inside a namespace with a time limit of its own (the tool's
 * timeout) and a hard one (the command runner's SIGKILL). They return what the tool printed and its exit
 * code; asserting on them is the test's business.
 */
import type { CommandResult } from './command.js';
import { runIn } from './netns.js';

export interface ClientOptions {
  /** The tool's own time limit in seconds (default 3); the process is killed 2 s after it. */
  readonly timeoutSec?: number;
}

function hardLimit(timeoutSec: number): number {
  return (timeoutSec + 2) * 1_000;
}

/** `curl -sS` a URL from inside `ns`; stdout is the body. Names resolve through the namespace's resolv.conf. */
export function curl(
  ns: string,
  url: string,
  options: ClientOptions & { readonly args?: readonly string[] } = {},
): Promise<CommandResult> {
  const timeoutSec = options.timeoutSec ?? 3;
  const args = ['-sS', '--noproxy', '*', '--max-time', String(timeoutSec), ...(options.args ?? []), url];
  return runIn(ns, 'curl', args, { timeoutMs: hardLimit(timeoutSec) });
}

export interface DigOptions extends ClientOptions {
  readonly type?: string;
  readonly port?: number;
  /** `+short` output (default true): just the answers, one per line. */
  readonly short?: boolean;
  /** Tries (default 1), each of `timeoutSec`. */
  readonly tries?: number;
}

/** `dig @server name type` from inside `ns`, one try unless `tries` says more. */
export function dig(
  ns: string,
  server: string,
  name: string,
  options: DigOptions = {},
): Promise<CommandResult> {
  const timeoutSec = options.timeoutSec ?? 2;
  const tries = options.tries ?? 1;
  const args = [
    `@${server}`,
    '-p',
    String(options.port ?? 53),
    name,
    options.type ?? 'A',
    `+time=${timeoutSec}`,
    `+tries=${tries}`,
  ];
  if (options.short ?? true) args.push('+short');
  return runIn(ns, 'dig', args, { timeoutMs: hardLimit(timeoutSec * tries) });
}

/** Sends `payload` over TCP with `nc` and returns what came back before the peer closed or the time ran out. */
export function tcpExchange(
  ns: string,
  host: string,
  port: number,
  payload: string,
  options: ClientOptions = {},
): Promise<CommandResult> {
  const timeoutSec = options.timeoutSec ?? 3;
  return runIn(ns, 'nc', ['-N', '-w', String(timeoutSec), host, String(port)], {
    input: payload,
    timeoutMs: hardLimit(timeoutSec),
  });
}

/**
 * Sends one UDP datagram with socat and returns the replies that arrive within `timeoutSec` (default 2):
 * UDP has no end, so socat always waits that long after sending. One datagram per call keeps UDP tests
 * bounded in packets as well as time.
 */
export function udpExchange(
  ns: string,
  host: string,
  port: number,
  payload: string,
  options: ClientOptions = {},
): Promise<CommandResult> {
  const timeoutSec = options.timeoutSec ?? 2;
  const args = ['-t', String(timeoutSec), '-T', String(timeoutSec), '-', `UDP4:${host}:${port}`];
  return runIn(ns, 'socat', args, { input: payload, timeoutMs: hardLimit(timeoutSec) });
}
