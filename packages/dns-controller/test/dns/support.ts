/** Test helpers: a mesh DNS server with a known zone, dig, and a raw TCP/UDP DNS client. */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { MetricsRegistry } from '@nodemesh/kube-runtime/metrics';
import { MeshDnsServer, type MeshDnsServerOptions, MeshZone } from '../../src/dns/index.js';

const run = promisify(execFile);

export function sampleZone(): MeshZone {
  const zone = new MeshZone('mesh');
  zone.upsert({
    namespace: 'shop',
    name: 'orders',
    clusterIPs: ['10.96.0.10', 'fd00::a'],
    ports: [
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'UDP' },
    ],
  });
  // Kubernetes gives at most two ClusterIPs; the zone does not care, which makes a large answer easy.
  const many = Array.from({ length: 100 }, (_, i) => `10.1.0.${i + 1}`);
  zone.upsert({ namespace: 'big', name: 'many', clusterIPs: many, ports: [] });
  return zone;
}

export async function startServer(options: Partial<MeshDnsServerOptions> = {}) {
  const registry = new MetricsRegistry();
  const server = new MeshDnsServer({ zone: sampleZone(), registry, ...options });
  const { port } = await server.start();
  return { server, registry, port };
}

/** Runs dig against 127.0.0.1:port; bounded by its own timeout and ours. */
export async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args], {
    timeout: 15_000,
  });
  return stdout;
}

/** Sum of the samples of `name` whose labels include `labels`, read from the registry's text. */
export async function metricValue(
  registry: MetricsRegistry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  let sum = 0;
  for (const line of (await registry.metrics()).split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

/** Sends one UDP message and waits for one reply, or undefined after `timeoutMs`. */
export function udpExchange(port: number, message: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    function finish(reply: Buffer | undefined): void {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    }
    socket.on('message', (reply) => finish(reply));
    socket.on('error', () => finish(undefined));
    socket.send(message, port, '127.0.0.1');
  });
}

/**
 * Opens a TCP connection, writes `bytes`, and collects what comes back until the server closes the
 * connection, `replies` frames have arrived, or `timeoutMs` passes.
 */
export function tcpExchange(
  port: number,
  bytes: Buffer,
  { replies = Number.POSITIVE_INFINITY, timeoutMs = 3000 } = {},
): Promise<{ frames: Buffer[]; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const frames: Buffer[] = [];
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ frames, closedByServer });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        frames.push(received.subarray(2, 2 + received.readUInt16BE(0)));
        received = received.subarray(2 + received.readUInt16BE(0));
      }
      if (frames.length >= replies) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(bytes);
  });
}

/** Prefixes a message with its two-byte TCP length. */
export function frame(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}
