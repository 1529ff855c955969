/**
 * TCP and UDP routes following the API server: pods going not ready, shadows deleted and written again, a
 * Service's scheme changing. Everything is created through the in-memory API server.
 */
import { type AddressInfo, connect, createServer } from 'node:net';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { shadowServiceName } from '@nodemesh/smi-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningNodeProxy } from '../../src/index.js';
import { Resources, udpEchoBackend } from '../support.js';
import { startMeshProxy, tcpRoundTrip, UdpClient } from './api-harness.js';
import { Api, waitFor } from './kube-fixtures.js';

let resources: Resources;
let server: ApiServer;
let api: Api;
let running: RunningNodeProxy;

/** A TCP server that answers every connection's half-close with `name:` and what it received. */
async function namedTcpBackend(name: string): Promise<number> {
  const tcp = createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    socket.on('error', () => socket.destroy());
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => socket.end(`${name}:${Buffer.concat(chunks).toString()}`));
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  resources.add(tcp, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  return (tcp.address() as AddressInfo).port;
}

/** Who answers `n` fresh TCP connections, by name. */
async function tcpTally(port: number, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const answer = (await tcpRoundTrip(port, Buffer.from(`${i}`))).toString();
    const who = answer.endsWith(`:${i}`) ? answer.slice(0, -`:${i}`.length) : `bad answer ${answer}`;
    seen[who] = (seen[who] ?? 0) + 1;
  }
  return seen;
}

/** Who answers `n` fresh UDP sessions, by name. */
async function udpTally(port: number, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const client = new UdpClient(port);
    try {
      const answer = (await client.exchange(`${i}`)).toString();
      const who = answer.slice(0, answer.indexOf(':'));
      seen[who] = (seen[who] ?? 0) + 1;
    } finally {
      await client.close();
    }
  }
  return seen;
}

beforeEach(async () => {
  resources = new Resources();
  server = resources.add(await startApiServer(), (s) => s.stop());
  api = new Api(server.url);
  await api.namespace('shop');
  await api.namespace('nodemesh');
  await api.installSmiCrds();
  running = await startMeshProxy(resources, server.url);
}, 30_000);

afterEach(async () => {
  await resources.closeAll();
});

describe('TCP and UDP routes following the API server', () => {
  it('stops sending new TCP connections and UDP sessions to a pod that goes not ready, and resumes', async () => {
    // One named targetPort, resolved per pod from its container ports: each pod has its own backend.
    const store = await api.create('/api/v1/namespaces/shop/services', {
      metadata: { name: 'store', annotations: { 'nodemesh.io/traffic-type': 'tcp' } },
      spec: {
        selector: { app: 'store' },
        ports: [
          { name: 'data', port: 7000, protocol: 'TCP', targetPort: 'http' },
          { name: 'lookup', port: 53, protocol: 'UDP', targetPort: 'dns' },
        ],
      },
    });
    for (const name of ['store-a', 'store-b']) {
      const tcp = await namedTcpBackend(name);
      const udp = await udpEchoBackend(resources, name);
      await api.create('/api/v1/namespaces/shop/pods', {
        metadata: { name, labels: { app: 'store' } },
        spec: {
          nodeName: 'node-b',
          containers: [
            {
              name: 'app',
              image: 'app',
              ports: [
                { name: 'http', containerPort: tcp, protocol: 'TCP' },
                { name: 'dns', containerPort: udp, protocol: 'UDP' },
              ],
            },
          ],
        },
        status: {
          phase: 'Running',
          podIP: '127.0.0.1',
          podIPs: [{ ip: '127.0.0.1' }],
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      });
    }
    const proxyPorts = await api.meshShadow(store);
    const tcpLogical = proxyPorts.get('TCP/7000') ?? 0;
    const udpLogical = proxyPorts.get('UDP/53') ?? 0;
    await waitFor(
      'both listeners with two endpoints each',
      () =>
        running.proxy.snapshot.tcp.get(tcpLogical)?.root.endpoints.length === 2 &&
        running.proxy.snapshot.udp.get(udpLogical)?.root.endpoints.length === 2,
    );
    const tcpPort = running.proxy.boundPort('tcp', tcpLogical) ?? 0;
    const udpPort = running.proxy.boundPort('udp', udpLogical) ?? 0;
    const both = { tcp: await tcpTally(tcpPort, 40), udp: await udpTally(udpPort, 40) };
    expect(Object.keys(both.tcp).sort()).toEqual(['store-a', 'store-b']);
    expect(Object.keys(both.udp).sort()).toEqual(['store-a', 'store-b']);

    await api.setPodReady('shop', 'store-b', false);
    await waitFor(
      'one endpoint each',
      () =>
        running.proxy.snapshot.tcp.get(tcpLogical)?.root.endpoints.length === 1 &&
        running.proxy.snapshot.udp.get(udpLogical)?.root.endpoints.length === 1,
    );
    expect(await tcpTally(tcpPort, 20)).toEqual({ 'store-a': 20 });
    expect(await udpTally(udpPort, 20)).toEqual({ 'store-a': 20 });

    await api.setPodReady('shop', 'store-b', true);
    await waitFor('store-b back on TCP', async () => (await tcpTally(tcpPort, 4))['store-b'] !== undefined);
    await waitFor('store-b back on UDP', async () => (await udpTally(udpPort, 4))['store-b'] !== undefined);
  });

  it('closes a TCP listener when its shadow is deleted and opens it again when it is written back', async () => {
    const backend = await namedTcpBackend('db');
    const db = await api.create('/api/v1/namespaces/shop/services', {
      metadata: { name: 'db', annotations: { 'nodemesh.io/traffic-type': 'tcp' } },
      spec: {
        selector: { app: 'db' },
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP', targetPort: backend }],
      },
    });
    await api.pod('shop', 'db-0', { node: 'node-b', ip: '127.0.0.1', labels: { app: 'db' } });
    const logical = (await api.meshShadow(db)).get('TCP/5432') ?? 0;
    await waitFor(
      'the db listener',
      () => running.proxy.snapshot.tcp.get(logical)?.root.endpoints.length === 1,
    );
    const port = running.proxy.boundPort('tcp', logical) ?? 0;
    expect(await tcpTally(port, 3)).toEqual({ db: 3 });

    await api.call('DELETE', `/api/v1/namespaces/nodemesh/services/${shadowServiceName('shop', 'db')}`);
    await waitFor('the listener to close', () => running.proxy.boundPort('tcp', logical) === undefined);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');

    const again = new Api(server.url);
    expect((await again.meshShadow(db)).get('TCP/5432')).toBe(logical);
    await waitFor(
      'the listener again',
      () => running.proxy.snapshot.tcp.get(logical)?.root.endpoints.length === 1,
    );
    expect(await tcpTally(running.proxy.boundPort('tcp', logical) ?? 0, 3)).toEqual({ db: 3 });
  });
});
