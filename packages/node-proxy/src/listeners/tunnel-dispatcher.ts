/**
 * undici dispatchers whose connections are tunnel streams: the same Pool (HTTP/1.1) or multiplexed Client
 * (h2c) as for plaintext, with a `connect` function that opens a CONNECT stream through the pod's node proxy
 * as the caller (tunnel-router.ts) instead of a TCP connection to the pod. undici speaks HTTP over the stream
 * as over a socket; keep-alive reuses the stream, so a request costs neither a handshake nor a new stream.
 *
 * One dispatcher per (caller ServiceAccount, endpoint, scheme): a connection carries one identity only, and
 * pods of one ServiceAccount share their connections, as they share the certificate.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpScheme } from '@nodemesh/smi-types';
import { Client, type Dispatcher, Pool } from 'undici';
import type { Endpoint } from '../snapshot/snapshot.js';

/** Opens the tunnel stream a connection of the dispatcher rides on, to the endpoint as it is now. */
export type OpenTunnel = (endpoint: Endpoint) => Promise<Duplex>;

export interface DispatcherSettings {
  readonly connectTimeout: number;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly keepAliveTimeout: number;
  /** HTTP/1.1 connections per dispatcher. */
  readonly connections: number;
}

/** A tunnelled dispatcher and the endpoint it reaches (the latest snapshot's object, for its node). */
export interface TunnelledDispatcher {
  readonly dispatcher: Dispatcher;
  endpoint: Endpoint;
}

/** undici 7 honours `useH2c` (HTTP/2 with prior knowledge) but its type declarations do not list it yet. */
const H2C = { useH2c: true } as const;

export function tunnelDispatcher(
  endpoint: Endpoint,
  scheme: HttpScheme,
  settings: DispatcherSettings,
  open: OpenTunnel,
): TunnelledDispatcher {
  const entry: { dispatcher: Dispatcher | undefined; endpoint: Endpoint } = {
    dispatcher: undefined,
    endpoint,
  };
  const h2c = scheme === 'h2c';
  const connect = (_options: unknown, callback: (...args: [null, Socket] | [Error, null]) => void) => {
    open(entry.endpoint).then(
      (stream) => {
        // undici picks HTTP/2 by the socket's ALPN (its own h2c connector marks plaintext sockets the same
        // way), and its HTTP/2 side refs and unrefs the socket: a stream holds no handle of its own to do so.
        if (h2c) Object.assign(stream, { alpnProtocol: 'h2', ref: () => stream, unref: () => stream });
        // A tunnel stream is a Duplex; undici uses no more of a socket than that.
        callback(null, stream as unknown as Socket);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
  const common = {
    connectTimeout: settings.connectTimeout,
    headersTimeout: settings.headersTimeout,
    bodyTimeout: settings.bodyTimeout,
    keepAliveTimeout: settings.keepAliveTimeout,
    connect,
  };
  const origin = `http://${endpoint.key}`;
  const dispatcher = h2c
    ? new Client(origin, Object.assign({ ...common, allowH2: true }, H2C))
    : new Pool(origin, { ...common, connections: settings.connections });
  return Object.assign(entry, { dispatcher });
}
