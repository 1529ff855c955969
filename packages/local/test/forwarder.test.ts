import { createSocket } from 'node:dgram';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Forwarder } from '../src/kube-proxy/forwarder.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port)),
  );
}

async function freePort(host: string): Promise<number> {
  const probe = createServer();
  const port = await listen(probe, host);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('Forwarder', () => {
  it('forwards TCP and keeps the caller address', async () => {
    // The "node-proxy": tells the caller which address it sees.
    const target = createServer((socket) => socket.end(socket.remoteAddress ?? ''));
    const targetPort = await listen(target, '127.30.0.1');
    cleanups.push(() => new Promise((resolve) => target.close(() => resolve())));
    const forwarder = new Forwarder();
    cleanups.push(() => forwarder.close());
    const listenPort = await freePort('127.10.0.9');
    const errors: string[] = [];
    await forwarder.apply(
      [{ protocol: 'TCP', listenHost: '127.10.0.9', listenPort, targetHost: '127.30.0.1', targetPort }],
      (message) => errors.push(message),
    );
    const seen = await new Promise<string>((resolve, reject) => {
      const client = connect({ host: '127.10.0.9', port: listenPort, localAddress: '127.20.0.7' });
      let data = '';
      client.on('data', (chunk) => {
        data += chunk.toString();
      });
      client.on('end', () => resolve(data));
      client.on('error', reject);
    });
    expect(errors).toEqual([]);
    expect(seen).toBe('127.20.0.7');
  });

  it('keeps a half-closed TCP connection open for the answer (nc -N)', async () => {
    // An echo server that answers only once the caller has finished sending, as tcp-echo does with `nc -N`.
    const target = createServer({ allowHalfOpen: true }, (socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => socket.end(Buffer.concat(chunks)));
    });
    const targetPort = await listen(target, '127.30.0.1');
    cleanups.push(() => new Promise((resolve) => target.close(() => resolve())));
    const forwarder = new Forwarder();
    cleanups.push(() => forwarder.close());
    const listenPort = await freePort('127.10.0.9');
    await forwarder.apply(
      [{ protocol: 'TCP', listenHost: '127.10.0.9', listenPort, targetHost: '127.30.0.1', targetPort }],
      () => undefined,
    );
    const echoed = await new Promise<string>((resolve, reject) => {
      const client = connect({ host: '127.10.0.9', port: listenPort, allowHalfOpen: true });
      let data = '';
      const timer = setTimeout(() => {
        client.destroy();
        resolve(`no end within 3 s; got ${JSON.stringify(data)}`);
      }, 3_000);
      client.on('data', (chunk) => {
        data += chunk.toString();
      });
      client.on('end', () => {
        clearTimeout(timer);
        client.end();
        resolve(data);
      });
      client.on('error', reject);
      // Send, then half-close (FIN) at once: the answer must still come back.
      client.end('hello, half-closed\n');
    });
    expect(echoed).toBe('hello, half-closed\n');
  });

  it('forwards UDP both ways from the caller address', async () => {
    const target = createSocket('udp4');
    target.on('message', (message, from) =>
      target.send(`${from.address} ${message}`, from.port, from.address),
    );
    await new Promise<void>((resolve) => target.bind(0, '127.30.0.1', () => resolve()));
    cleanups.push(() => new Promise((resolve) => target.close(() => resolve())));
    const forwarder = new Forwarder();
    cleanups.push(() => forwarder.close());
    await forwarder.apply(
      [
        {
          protocol: 'UDP',
          listenHost: '127.10.0.9',
          listenPort: 7001,
          targetHost: '127.30.0.1',
          targetPort: target.address().port,
        },
      ],
      () => undefined,
    );
    const client = createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.20.0.8', () => resolve()));
    cleanups.push(() => new Promise((resolve) => client.close(() => resolve())));
    const reply = new Promise<string>((resolve) =>
      client.once('message', (message) => resolve(String(message))),
    );
    client.send('ping', 7001, '127.10.0.9');
    expect(await reply).toBe('127.20.0.8 ping');
  });

  it('closes listeners of rules that are gone', async () => {
    const forwarder = new Forwarder();
    cleanups.push(() => forwarder.close());
    const listenPort = await freePort('127.10.0.9');
    const rule = {
      protocol: 'TCP',
      listenHost: '127.10.0.9',
      listenPort,
      targetHost: '127.30.0.1',
      targetPort: 1,
    } as const;
    await forwarder.apply([rule], () => undefined);
    await forwarder.apply([], () => undefined);
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(listenPort, '127.10.0.9', () => resolve());
    });
    await new Promise((resolve) => probe.close(resolve));
  });
});
