import { afterEach, describe, expect, it } from 'vitest';
import { type InformerHandlers, ResourceInformer } from '../src/informer.js';
import { serverConnection } from '../src/kube-connection.js';
import { createLogger, silentLogger } from '../src/logger.js';
import { selectFields } from '../src/object-fields.js';
import { readObjectMeta } from '../src/object-meta.js';
import { FakeListWatchServer, waitFor } from './fake-list-watch-server.js';

const path = '/api/v1/services';
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Records handler calls as `add demo/web@101`-style strings. */
function recorder() {
  const calls: string[] = [];
  const id = (obj: unknown) => {
    const meta = readObjectMeta(obj);
    return `${meta.namespace}/${meta.name}@${meta.resourceVersion}`;
  };
  const handlers: InformerHandlers = {
    onAdd: (obj) => calls.push(`add ${id(obj)}`),
    onUpdate: (obj, previous) =>
      calls.push(`update ${id(obj)} from ${readObjectMeta(previous).resourceVersion}`),
    onDelete: (obj) => calls.push(`delete ${id(obj)}`),
    onSynced: () => calls.push('synced'),
  };
  return { calls, handlers };
}

async function start(
  server: FakeListWatchServer,
  handlers: InformerHandlers,
  extra: {
    labelSelector?: string;
    fieldSelector?: string;
    backoffCalls?: number[];
    transform?: (obj: Record<string, unknown>) => Record<string, unknown>;
  } = {},
) {
  const url = await server.listen();
  cleanups.push(() => server.close());
  const config = serverConnection(url);
  const informer = new ResourceInformer({
    name: 'services',
    config,
    path,
    handlers,
    logger: process.env.DEBUG_INFORMER ? createLogger({ component: 'test', level: 'debug' }) : silentLogger,
    ...(extra.labelSelector === undefined ? {} : { labelSelector: extra.labelSelector }),
    ...(extra.fieldSelector === undefined ? {} : { fieldSelector: extra.fieldSelector }),
    ...(extra.transform === undefined ? {} : { transform: extra.transform }),
    backoff: (attempt) => {
      extra.backoffCalls?.push(attempt);
      return 20;
    },
  });
  cleanups.push(() => informer.stop());
  informer.start();
  return informer;
}

describe('ResourceInformer against a list+watch server on 127.0.0.1', () => {
  it('keeps only what its transform selects, of listed and of watched objects', async () => {
    const server = new FakeListWatchServer(path);
    server.put('web', { spec: { ports: [{ port: 80 }], selector: { app: 'web' } } });
    const delivered: unknown[] = [];
    const informer = await start(
      server,
      { onAdd: (obj) => delivered.push(obj), onUpdate: (obj) => delivered.push(obj) },
      { transform: selectFields({ spec: { ports: true } }) },
    );
    await waitFor('open watch', () => server.openWatches() === 1);
    server.put('web', { spec: { ports: [{ port: 81 }], selector: { app: 'web' } } });
    await waitFor('the update', () => delivered.length === 2);
    for (const obj of [...delivered, ...informer.objects()]) {
      expect(obj).toEqual({
        metadata: expect.objectContaining({ name: 'web', namespace: 'demo' }),
        spec: { ports: [expect.objectContaining({ port: expect.any(Number) })] },
      });
      expect(JSON.stringify(obj)).not.toContain('selector');
    }
  });

  it('lists, reports synced once, then delivers watch events with the previous state', async () => {
    const server = new FakeListWatchServer(path);
    server.put('web');
    server.put('api');
    const { calls, handlers } = recorder();
    const informer = await start(server, handlers);
    await waitFor('sync', () => informer.hasSynced());
    expect(calls).toEqual(['add demo/web@101', 'add demo/api@102', 'synced']);
    await waitFor('open watch', () => server.openWatches() === 1);
    server.put('web', { spec: { ports: [] } });
    server.remove('api');
    server.put('db');
    await waitFor('events', () => calls.length === 6);
    expect(calls.slice(3)).toEqual([
      'update demo/web@103 from 101',
      'delete demo/api@104',
      'add demo/db@105',
    ]);
    expect(informer.state()).toMatchObject({ synced: true, connected: true, restarts: 0, objects: 2 });
    expect(informer.objects()).toHaveLength(2);
  });

  it('sends the label and field selectors on list and watch', async () => {
    const server = new FakeListWatchServer(path);
    const { handlers } = recorder();
    await start(server, handlers, { labelSelector: 'app=web', fieldSelector: 'spec.nodeName=node-a' });
    await waitFor('list and watch', () => server.requests.length >= 2);
    for (const request of server.requests.slice(0, 2)) {
      expect(request.searchParams.get('labelSelector')).toBe('app=web');
      expect(request.searchParams.get('fieldSelector')).toBe('spec.nodeName=node-a');
    }
  });

  it('reconnects after the server closes the watch, resuming from the last resourceVersion', async () => {
    const server = new FakeListWatchServer(path);
    server.put('web');
    const { calls, handlers } = recorder();
    const informer = await start(server, handlers);
    await waitFor('open watch', () => server.openWatches() === 1);
    server.put('web');
    await waitFor('update', () => calls.length === 3);
    server.closeWatches();
    server.put('api');
    await waitFor('add after reconnect', () => calls.includes('add demo/api@103'));
    const watches = server.requests.filter((url) => url.searchParams.get('watch') === 'true');
    expect(watches.at(-1)?.searchParams.get('resourceVersion')).toBe('102');
    expect(server.requests.filter((url) => url.searchParams.get('watch') !== 'true')).toHaveLength(1);
    expect(calls.filter((call) => call === 'synced')).toHaveLength(1);
    expect(informer.state().restarts).toBe(0);
  });

  it('restarts with backoff after the watch answers 500, resetting the backoff after success', async () => {
    const server = new FakeListWatchServer(path);
    server.put('web');
    server.watchFailures.push(500, 500);
    const backoffCalls: number[] = [];
    const { calls, handlers } = recorder();
    const informer = await start(server, handlers, { backoffCalls });
    // Connected after both failures: a watch counts as connected from its request, before its 500 is read.
    await waitFor('connected', () => informer.state().restarts === 2 && informer.state().connected);
    expect(backoffCalls).toEqual([1, 2]);
    expect(informer.state()).toMatchObject({ restarts: 2, connected: true });
    expect(informer.state().lastError).toMatch(/500/);
    server.put('api');
    await waitFor('event after recovery', () => calls.includes('add demo/api@102'));
    server.watchFailures.push(500);
    server.closeWatches();
    await waitFor('third restart', () => informer.state().restarts === 3);
    expect(backoffCalls).toEqual([1, 2, 1]);
    await waitFor('reopened', () => server.openWatches() === 1);
  });

  it('backs off instead of reconnecting at once when watches keep ending empty right away', async () => {
    const server = new FakeListWatchServer(path);
    server.endWatchesAtOnce = true;
    const backoffCalls: number[] = [];
    const { handlers } = recorder();
    const informer = await start(server, handlers, { backoffCalls });
    await waitFor('three backoffs', () => backoffCalls.length >= 3);
    expect(backoffCalls.slice(0, 3)).toEqual([1, 2, 3]);
    expect(informer.state().restarts).toBe(0);
    server.endWatchesAtOnce = false;
    await waitFor('connected', () => informer.state().connected);
  });

  it('backs off between relists when every watch is answered 410 at once', async () => {
    const server = new FakeListWatchServer(path);
    server.compactedBelow = Number.POSITIVE_INFINITY;
    const backoffCalls: number[] = [];
    const { handlers } = recorder();
    await start(server, handlers, { backoffCalls });
    await waitFor('three backoffs', () => backoffCalls.length >= 3);
    expect(backoffCalls.slice(0, 3)).toEqual([1, 2, 3]);
    const lists = server.requests.filter((url) => url.searchParams.get('watch') !== 'true').length;
    expect(lists).toBeLessThanOrEqual(backoffCalls.length + 1);
  });

  it('retries a failed initial list and syncs when the server recovers', async () => {
    const server = new FakeListWatchServer(path);
    server.put('web');
    server.listFailures.push(500, 503);
    const { calls, handlers } = recorder();
    const informer = await start(server, handlers);
    await waitFor('sync', () => informer.hasSynced());
    expect(informer.state().restarts).toBe(2);
    expect(calls).toEqual(['add demo/web@101', 'synced']);
  });

  it('relists on 410 Gone, delivering deletes and adds missed during the gap', async () => {
    const server = new FakeListWatchServer(path);
    server.put('web');
    server.put('api');
    const { calls, handlers } = recorder();
    const informer = await start(server, handlers);
    await waitFor('open watch', () => server.openWatches() === 1);
    server.watchFailures.push(500); // break the watch so that events are missed
    server.closeWatches();
    await waitFor('restart scheduled', () => informer.state().restarts === 1);
    server.remove('api');
    server.put('db');
    server.compact();
    await waitFor('relist', () => calls.includes('delete demo/api@102') && calls.includes('add demo/db@104'));
    await waitFor('connected', () => informer.state().connected);
    expect(server.requests.filter((url) => url.searchParams.get('watch') !== 'true')).toHaveLength(2);
    expect(informer.objects()).toHaveLength(2);
  });

  it('relists after a watch ERROR event with code 410', async () => {
    const server = new FakeListWatchServer(path);
    server.put('web');
    const { calls, handlers } = recorder();
    await start(server, handlers);
    await waitFor('open watch', () => server.openWatches() === 1);
    server.expireWatches();
    server.put('api');
    await waitFor(
      'relisted',
      () => server.requests.filter((url) => url.searchParams.get('watch') !== 'true').length === 2,
    );
    await waitFor('api added', () => calls.includes('add demo/api@102'));
  });

  it('keeps watching when a handler throws', async () => {
    const server = new FakeListWatchServer(path);
    server.put('web');
    const seen: string[] = [];
    const informer = await start(server, {
      onAdd: (obj) => {
        seen.push(readObjectMeta(obj).name ?? '?');
        throw new Error('handler bug');
      },
    });
    await waitFor('open watch', () => server.openWatches() === 1);
    server.put('api');
    await waitFor('second add', () => seen.length === 2);
    expect(informer.state()).toMatchObject({ restarts: 0, connected: true });
  });

  it('skips objects without a name in the list and in the watch', async () => {
    const server = new FakeListWatchServer(path);
    server.put('web');
    server.putMalformed({ kind: 'Service' });
    const { calls, handlers } = recorder();
    await start(server, handlers);
    await waitFor('open watch', () => server.openWatches() === 1);
    server.sendRaw(JSON.stringify({ type: 'ADDED', object: { kind: 'Service' } }));
    server.sendRaw(JSON.stringify({ type: 'ADDED', object: null }));
    server.sendRaw('not json');
    server.put('api');
    await waitFor('api added', () => calls.includes('add demo/api@102'));
    expect(calls).toEqual(['add demo/web@101', 'synced', 'add demo/api@102']);
  });

  it('stop() while a watch is still connecting closes that watch once it opens', async () => {
    const server = new FakeListWatchServer(path);
    let release: () => void = () => {};
    server.holdWatches = new Promise((resolve) => {
      release = resolve;
    });
    const { handlers } = recorder();
    const informer = await start(server, handlers);
    await waitFor('watch request waiting', () => server.pendingWatches === 1);
    await informer.stop();
    release();
    await waitFor('watch opened on the server', () => server.pendingWatches === 0);
    await waitFor('watch closed again', () => server.openWatches() === 0);
    expect(informer.state().connected).toBe(false);
  });

  it('stop() closes the watch and silences handlers', async () => {
    const server = new FakeListWatchServer(path);
    const { calls, handlers } = recorder();
    const informer = await start(server, handlers);
    await waitFor('open watch', () => server.openWatches() === 1);
    await informer.stop();
    await waitFor('watch closed on the server', () => server.openWatches() === 0);
    server.put('web');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toEqual(['synced']);
    expect(informer.state().connected).toBe(false);
  });
});
