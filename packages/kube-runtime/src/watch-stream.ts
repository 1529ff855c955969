/**
 * One watch request: `GET <path>?watch=true&…` with the connection's credentials, read as the API server
 * streams it (one JSON event per line). `onEvent` gets each event's type and object; `onDone` is called
 * once, when the stream ends (null), fails, or the server answers with an error status (ApiStatusError).
 * Lines that are not JSON are skipped, as client-node's watch skipped them.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { ApiStatusError } from './api-errors.js';
import { apiUrl, type KubeConnection } from './kube-connection.js';
import { isRecord } from './object-meta.js';

export type WatchParams = Readonly<Record<string, string | number | boolean | undefined>>;

export async function openWatch(
  connection: KubeConnection,
  path: string,
  params: WatchParams,
  onEvent: (type: string, object: unknown) => void,
  onDone: (error: unknown) => void,
): Promise<AbortController> {
  const controller = new AbortController();
  let done = false;
  const finish = (error: unknown) => {
    if (done) return;
    done = true;
    controller.abort();
    onDone(error);
  };
  try {
    const url = apiUrl(connection, path);
    url.searchParams.set('watch', 'true');
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const options: https.RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
    await connection.applyToHTTPSOptions(options);
    options.signal = controller.signal;
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, options, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        finish(new ApiStatusError(res.statusCode ?? 0, `watch ${url.pathname}: HTTP ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let pending = '';
      res.on('data', (chunk: string) => {
        pending += chunk;
        let newline = pending.indexOf('\n');
        while (newline !== -1) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          deliver(line, onEvent);
          newline = pending.indexOf('\n');
        }
      });
      res.on('end', () => {
        deliver(pending, onEvent);
        finish(null);
      });
      res.on('error', finish);
      res.on('close', () => finish(null));
    });
    req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
    req.on('error', (error) => finish(controller.signal.aborted && done ? null : error));
    req.end();
  } catch (error) {
    finish(error);
  }
  return controller;
}

function deliver(line: string, onEvent: (type: string, object: unknown) => void): void {
  if (line.trim() === '') return;
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return;
  }
  if (isRecord(event) && typeof event.type === 'string') onEvent(event.type, event.object);
}
