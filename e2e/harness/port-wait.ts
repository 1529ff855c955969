/**
 * Waiting for a server to be ready: polls `ss` inside the server's namespace until a socket listens (TCP) or
 * is bound (UDP) on the port. Reading the socket table sends no packet, and works the same for UDP, where a
 * probe packet would prove nothing. Bounded in attempts and time; fails early if the process died.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Protocol } from './kube-proxy-rules.js';
import { runIn } from './netns.js';
import type { ManagedProcess } from './process.js';

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Fail at once, with its log, if this process exits while we wait. */
  readonly process?: ManagedProcess;
}

const POLL_MS = 50;

/** Resolves once something in `ns` listens on `port`; rejects after the time limit. */
export async function waitForPort(
  ns: string,
  protocol: Protocol,
  port: number,
  options: WaitOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / POLL_MS) + 1;
  const flags = protocol === 'tcp' ? '-Hlnt' : '-Hlnu';
  for (let attempt = 0; attempt < maxAttempts && Date.now() < deadline; attempt += 1) {
    const exit = options.process?.exited();
    if (exit !== undefined && options.process !== undefined) {
      const log = (await options.process.log()).trim().split('\n').slice(-10).join('\n');
      throw new Error(
        `${options.process.name} exited (code ${exit.code}, signal ${exit.signal}) before listening on ${protocol}/${port}:\n${log}`,
      );
    }
    const result = await runIn(ns, 'ss', [flags, `sport = :${port}`], { timeoutMs: 5_000 });
    if (result.code === 0 && result.stdout.trim() !== '') return;
    await sleep(POLL_MS);
  }
  throw new Error(`nothing listened on ${protocol}/${port} in namespace ${ns} within ${timeoutMs} ms`);
}
