/**
 * The sockets behind local mode's kube-proxy: one listener per forwarding rule. Like kube-proxy's DNAT, the
 * caller's address is kept: the upstream connection (or datagram socket) is bound to the caller's own
 * 127.x address, so the node-proxy sees who is calling.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { type ForwardingRule, ruleKey } from './forwarding-rules.js';

interface Listener {
  readonly rule: ForwardingRule;
  close(): Promise<void>;
}

const UDP_SESSION_IDLE_MS = 30_000;
const UDP_MAX_SESSIONS = 1024;

export class Forwarder {
  readonly #listeners = new Map<string, Listener>();

  /** Opens listeners for new rules, closes those of rules that are gone, leaves the rest alone. */
  async apply(rules: readonly ForwardingRule[], onError: (message: string) => void): Promise<void> {
    const wanted = new Map(rules.map((rule) => [ruleKey(rule), rule]));
    for (const [key, listener] of this.#listeners) {
      const rule = wanted.get(key);
      if (rule === undefined || !sameTarget(rule, listener.rule)) {
        this.#listeners.delete(key);
        await listener.close();
      }
    }
    for (const [key, rule] of wanted) {
      if (this.#listeners.has(key)) continue;
      try {
        this.#listeners.set(key, rule.protocol === 'TCP' ? await listenTcp(rule) : await listenUdp(rule));
      } catch (error) {
        onError(`cannot listen on ${key}: ${(error as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    const listeners = [...this.#listeners.values()];
    this.#listeners.clear();
    await Promise.all(listeners.map((listener) => listener.close()));
  }
}

function sameTarget(a: ForwardingRule, b: ForwardingRule): boolean {
  return a.targetHost === b.targetHost && a.targetPort === b.targetPort;
}

/**
 * Both sockets allow half-open connections, as kube-proxy's DNAT does: a caller that half-closes (`nc -N`,
 * `shutdown(SHUT_WR)`) still gets every byte the far side sends before it closes too. Each side's end is
 * passed on by `pipe`; a socket closes once both directions have ended.
 */
function listenTcp(rule: ForwardingRule): Promise<Listener> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({
      host: rule.targetHost,
      port: rule.targetPort,
      allowHalfOpen: true,
      ...(client.remoteAddress?.startsWith('127.') ? { localAddress: client.remoteAddress } : {}),
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(rule.listenPort, rule.listenHost, () => {
      server.off('error', reject);
      resolve({
        rule,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

interface UdpSession {
  readonly socket: UdpSocket;
  idle: NodeJS.Timeout;
}

function listenUdp(rule: ForwardingRule): Promise<Listener> {
  const front = createSocket('udp4');
  const sessions = new Map<string, UdpSession>();

  const endSession = (key: string) => {
    const session = sessions.get(key);
    if (session === undefined) return;
    sessions.delete(key);
    clearTimeout(session.idle);
    session.socket.close();
  };

  const sessionFor = (from: RemoteInfo): UdpSession | undefined => {
    const key = `${from.address}:${from.port}`;
    const existing = sessions.get(key);
    if (existing !== undefined) {
      existing.idle.refresh();
      return existing;
    }
    if (sessions.size >= UDP_MAX_SESSIONS) return undefined;
    const socket = createSocket('udp4');
    socket.on('message', (reply) => front.send(reply, from.port, from.address));
    socket.on('error', () => endSession(key));
    socket.bind({ address: from.address.startsWith('127.') ? from.address : '127.0.0.1', port: 0 });
    const session: UdpSession = { socket, idle: setTimeout(() => endSession(key), UDP_SESSION_IDLE_MS) };
    session.idle.unref();
    sessions.set(key, session);
    return session;
  };

  front.on('message', (message, from) => {
    sessionFor(from)?.socket.send(message, rule.targetPort, rule.targetHost);
  });
  front.on('error', () => undefined);

  return new Promise((resolve, reject) => {
    front.once('error', reject);
    front.bind(rule.listenPort, rule.listenHost, () => {
      front.off('error', reject);
      resolve({
        rule,
        close: () =>
          new Promise<void>((done) => {
            for (const key of [...sessions.keys()]) endSession(key);
            front.close(() => done());
          }),
      });
    });
  });
}
