/** Waiting for a condition that no log line or port shows: bounded in attempts and time. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitUntilOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

/**
 * Calls `check` until it returns a value other than undefined, and returns that value; throws after
 * `timeoutMs` (default 15 s) with `what` and the last thing `check` threw.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: WaitUntilOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 1;
  let lastError = '';
  for (let attempt = 0; attempt < maxAttempts && Date.now() < deadline; attempt += 1) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
}
