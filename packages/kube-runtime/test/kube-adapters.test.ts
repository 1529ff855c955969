import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverConnection } from '../src/kube-connection.js';
import { kubeEventSink } from '../src/kube-event-sink.js';
import { kubeLeaseClient } from '../src/kube-lease-client.js';
import { LeaseConflictError } from '../src/lease.js';

/** Just enough of the Lease and Event endpoints, with resourceVersion checks, on 127.0.0.1. */
class FakeObjectServer {
  readonly store = new Map<string, Record<string, unknown>>();
  readonly writes: Array<{ method: string; path: string; body: Record<string, unknown> }> = [];
  private version = 0;
  private readonly server: Server = createServer((req, res) => this.handle(req, res));

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const body =
      chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {};
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    const status = (code: number) => send(code, { kind: 'Status', apiVersion: 'v1', code });
    const meta = (body.metadata ?? {}) as Record<string, unknown>;
    if (req.method === 'GET') {
      const found = this.store.get(path);
      found === undefined ? status(404) : send(200, found);
      return;
    }
    this.writes.push({ method: req.method ?? '', path, body });
    const key = req.method === 'POST' ? `${path}/${String(meta.name)}` : path;
    const existing = this.store.get(key);
    if (req.method === 'POST' && existing !== undefined) return status(409);
    if (req.method === 'PUT') {
      if (existing === undefined) return status(404);
      const current = (existing.metadata as Record<string, unknown>).resourceVersion;
      if (meta.resourceVersion !== undefined && meta.resourceVersion !== current) return status(409);
    }
    const stored = { ...body, metadata: { ...meta, resourceVersion: String(++this.version) } };
    this.store.set(key, stored);
    send(req.method === 'POST' ? 201 : 200, stored);
  }
}

const server = new FakeObjectServer();
let url = '';
beforeAll(async () => {
  url = await server.listen();
});
afterAll(() => server.close());

describe('kubeLeaseClient', () => {
  it('reads a missing lease as undefined, creates, conflicts, and replaces with optimistic concurrency', async () => {
    const client = kubeLeaseClient(serverConnection(url));
    expect(await client.get('nodemesh', 'leader')).toBeUndefined();
    const record = {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTimeMs: 1_700_000_000_123,
      renewTimeMs: 1_700_000_001_456,
      leaseTransitions: 0,
    };
    const created = await client.create('nodemesh', 'leader', record);
    expect(created).toMatchObject({ ...record, resourceVersion: '1' });
    // Lease times are MicroTime: six fractional digits, as the API server requires.
    expect(server.writes[0]?.body.spec).toMatchObject({
      holderIdentity: 'a',
      renewTime: '2023-11-14T22:13:21.456000Z',
      acquireTime: '2023-11-14T22:13:20.123000Z',
    });
    await expect(client.create('nodemesh', 'leader', record)).rejects.toBeInstanceOf(LeaseConflictError);
    const read = await client.get('nodemesh', 'leader');
    expect(read).toEqual(created);
    await expect(
      client.replace('nodemesh', 'leader', { ...record, holderIdentity: 'b', resourceVersion: '0' }),
    ).rejects.toBeInstanceOf(LeaseConflictError);
    const replaced = await client.replace('nodemesh', 'leader', {
      ...record,
      holderIdentity: 'b',
      resourceVersion: '1',
    });
    expect(replaced).toMatchObject({ holderIdentity: 'b', resourceVersion: '2' });
  });

  it('passes other failures through as errors', async () => {
    const client = kubeLeaseClient(serverConnection(url));
    const record = {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTimeMs: 1,
      renewTimeMs: 1,
      leaseTransitions: 0,
    };
    await expect(client.replace('nodemesh', 'absent', record)).rejects.not.toBeInstanceOf(LeaseConflictError);
  });
});

describe('kubeEventSink', () => {
  it('creates core/v1 Events and merge-patches repeats', async () => {
    const sink = kubeEventSink(serverConnection(url));
    const event = {
      name: 'web.abc',
      namespace: 'demo',
      involvedObject: { apiVersion: 'v1', kind: 'Service', namespace: 'demo', name: 'web', uid: 'u1' },
      type: 'Warning' as const,
      reason: 'InvalidAnnotation',
      message: 'bad',
      count: 1,
      firstTimestampMs: 1_700_000_000_000,
      lastTimestampMs: 1_700_000_000_000,
      component: 'nodemesh-dns-controller',
    };
    await sink.create(event);
    await sink.update({ ...event, count: 2, lastTimestampMs: 1_700_000_060_000 });
    const writes = server.writes.filter((write) => write.path.startsWith('/api/v1/namespaces/demo/events'));
    expect(writes.map((write) => `${write.method} ${write.path}`)).toEqual([
      'POST /api/v1/namespaces/demo/events',
      'PATCH /api/v1/namespaces/demo/events/web.abc',
    ]);
    expect(writes[1]?.body).toEqual({ count: 2, message: 'bad', lastTimestamp: '2023-11-14T22:14:20.000Z' });
    expect(writes[0]?.body).toMatchObject({
      kind: 'Event',
      involvedObject: { kind: 'Service', name: 'web', uid: 'u1' },
      type: 'Warning',
      reason: 'InvalidAnnotation',
      count: 1,
      firstTimestamp: '2023-11-14T22:13:20.000Z',
      lastTimestamp: '2023-11-14T22:13:20.000Z',
      source: { component: 'nodemesh-dns-controller' },
    });
  });
});
