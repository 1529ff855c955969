/**
 * When an HTTP/1.1 `Upgrade` request becomes a tunnel, and how the others go on (pure). As Envoy does:
 * - only `Upgrade: websocket` on a bodiless GET is tunnelled, and only once the backend has answered 101
 *   switching to websocket; until then the caller's bytes wait, and any other answer is relayed as a plain
 *   response after which the connection closes (what the caller sent after its request never reaches the
 *   backend);
 * - any other upgrade (`h2c`, `TLS/1.0`, …) is not one the mesh makes: `Upgrade`, `HTTP2-Settings` and their
 *   `Connection` tokens are dropped and the request goes on as plain HTTP/1.1, like any other request.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type UpgradeKind = 'websocket' | 'plain';

/** The protocol a tunnel may switch to. */
export const TUNNEL_PROTOCOL = 'websocket';

/** What to do with a request node:http reported as an upgrade. */
export function upgradeKind(method: string, httpVersion: string, headers: IncomingHttpHeaders): UpgradeKind {
  const asked = headers.upgrade?.trim().toLowerCase();
  const hasBody =
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0');
  return asked === TUNNEL_PROTOCOL && method === 'GET' && httpVersion === '1.1' && !hasBody
    ? 'websocket'
    : 'plain';
}

/** Headers of an upgrade that a plain request does not carry. */
const UPGRADE_HEADERS: ReadonlySet<string> = new Set(['upgrade', 'http2-settings']);

/**
 * The request head again, as node parsed it (`rawHeaders`: names and values in order), without `Upgrade`,
 * `HTTP2-Settings` and their `Connection` tokens: fed back to the HTTP server, it is an ordinary request.
 */
export function headWithoutUpgrade(
  method: string,
  url: string,
  httpVersion: string,
  rawHeaders: readonly string[],
): string {
  let head = `${method} ${url} HTTP/${httpVersion}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    let value = rawHeaders[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (UPGRADE_HEADERS.has(lower)) continue;
    if (lower === 'connection') {
      value = value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== '' && !UPGRADE_HEADERS.has(token.toLowerCase()))
        .join(', ');
      if (value === '') continue;
    }
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

/** Whether the backend's answer switches to the protocol the caller asked for (and only then, tunnel). */
export function switchedTo(statusCode: number, headers: IncomingHttpHeaders, asked: string): boolean {
  return statusCode === 101 && headers.upgrade?.trim().toLowerCase() === asked;
}

/** A raw HTTP/1.1 response head (status line, headers, blank line). Values come from node's parser. */
export function responseHead(
  statusCode: number,
  reason: string,
  headers: Readonly<Record<string, string | string[]>>,
): string {
  let head = `HTTP/1.1 ${statusCode} ${reason}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  }
  return `${head}\r\n`;
}
