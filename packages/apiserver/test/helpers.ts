import { KubeConfig } from '@kubernetes/client-node';

/** A KubeConfig pointing at the test server, with no credentials. */
export function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'local', server: url, skipTLSVerify: true }, { name: 'nobody' });
  return kc;
}

/** Polls until `check` returns true, failing after `timeoutMs` (bounded in count and time). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A JSON request against the server; returns status and parsed body. */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const init: RequestInit = { method, headers: { 'Content-Type': contentType } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

export interface WatchEvent {
  type: string;
  object: {
    metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string> };
    code?: number;
    reason?: string;
  };
}

/** Opens a raw watch and collects its events; `ended` resolves when the server ends the stream. */
export async function openWatch(
  url: string,
): Promise<{ events: WatchEvent[]; ended: Promise<void>; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  if (res.status !== 200 || !res.body) throw new Error(`watch answered ${res.status}: ${await res.text()}`);
  const events: WatchEvent[] = [];
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          events.push(JSON.parse(buffer.slice(0, newline)) as WatchEvent);
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return { events, ended, close: () => controller.abort() };
}
