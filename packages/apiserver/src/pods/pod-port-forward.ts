/**
 * The `pods/portforward` subresource over WebSocket, in the channel protocol that `kubectl` (before SPDY
 * tunnelling) and @kubernetes/client-node's PortForward speak: subprotocol `v4.channel.k8s.io` (or the
 * unversioned `channel.k8s.io`); every binary message starts with a channel byte; port i of `?ports=` has data
 * channel 2i and error channel 2i+1; the server first sends each channel the port number as two bytes, little
 * endian. Each WebSocket is one TCP connection per port, opened when the WebSocket opens (see pod-target.ts for
 * where this server connects: the pod's address, not its loopback).
 */
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { type ApiError, badRequest } from '../api/api-error.js';
import type { KubeObject } from '../api/kube-object.js';
import { podTarget } from './pod-target.js';

/** The subprotocols served, best first; v5's close frames and base64 framing are not. */
export const PORT_FORWARD_PROTOCOLS = ['v4.channel.k8s.io', 'channel.k8s.io'] as const;
const MAX_PORTS = 8;

/** The `ports` query parameter (repeated or comma-separated) as strings; a BadRequest when absent or too many. */
export function requestedPorts(url: URL): string[] {
  const ports = url.searchParams
    .getAll('ports')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (ports.length === 0) throw badRequest('port-forward needs at least one port: ?ports=<port>');
  if (ports.length > MAX_PORTS) throw badRequest(`port-forward takes at most ${MAX_PORTS} ports`);
  return ports;
}

/** `[channel, port & 0xff, port >> 8]`: the first message of each channel. */
export function portPreamble(channel: number, port: number): Buffer {
  return Buffer.from([channel, port & 0xff, (port >> 8) & 0xff]);
}

/** Accepts port-forward upgrades; `close()` ends every forward (the server stops or restarts). */
export class PortForwarder {
  readonly #server = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    handleProtocols: (offered) => PORT_FORWARD_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  readonly #open = new Set<WebSocket>();

  /**
   * Upgrades the request and forwards to the pod. Throws an ApiError before upgrading when the pod, its
   * address or a port is wrong, or the client offers no protocol this server speaks.
   */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, pod: KubeObject, url: URL): void {
    const targets = requestedPorts(url).map((port) => podTarget(pod, port));
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    if (!PORT_FORWARD_PROTOCOLS.some((p) => offered.includes(p))) {
      throw badRequest(`port-forward speaks the WebSocket subprotocols ${PORT_FORWARD_PROTOCOLS.join(', ')}`);
    }
    this.#server.handleUpgrade(req, socket, head, (ws) => {
      this.#open.add(ws);
      const connections: Socket[] = targets.map((target, index) => {
        const data = index * 2;
        ws.send(portPreamble(data, target.port));
        ws.send(portPreamble(data + 1, target.port));
        const connection = connect({ host: target.address, port: target.port });
        connection.on('data', (chunk: Buffer) => {
          if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([data]), chunk]));
        });
        connection.on('error', (error) => {
          if (ws.readyState === ws.OPEN) {
            const message = `error forwarding port ${target.port} to pod ${pod.metadata.name ?? ''}: ${error.message}`;
            ws.send(Buffer.concat([Buffer.from([data + 1]), Buffer.from(message)]));
          }
          ws.close(1011, 'pod connection failed');
        });
        connection.on('close', () => ws.close(1000));
        return connection;
      });
      ws.on('message', (message: Buffer, isBinary: boolean) => {
        const bytes = isBinary ? message : Buffer.from(message);
        const channel = bytes[0];
        if (channel === undefined || channel % 2 === 1) return;
        connections[channel / 2]?.write(bytes.subarray(1));
      });
      ws.on('close', () => {
        this.#open.delete(ws);
        for (const connection of connections) connection.destroy();
      });
      ws.on('error', () => ws.terminate());
    });
  }

  get size(): number {
    return this.#open.size;
  }

  close(): void {
    for (const ws of this.#open) ws.terminate();
    this.#open.clear();
  }
}

/** An HTTP error answer written on a socket that was not upgraded. */
export function rejectUpgrade(socket: Duplex, error: ApiError): void {
  const body = JSON.stringify(error.toStatus());
  socket.end(
    `HTTP/1.1 ${error.code} ${error.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
