/**
 * The mTLS mode on the shadows (nodemesh.io/mtls-mode), against the in-memory API server: resolved from the
 * Service's and the Namespace's `nodemesh.io/mtls` annotations over the mesh-wide `--mtls-mode`, kept in step
 * when an annotation changes, and a bad value reported with a Warning Event on its object.
 */
import type { ApiServer } from '@nodemesh/apiserver';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnsController } from '../../src/index.js';
import { call, createService, shadowsByService, startCluster, startController, waitFor } from './support.js';

let server: ApiServer | undefined;
const controllers: DnsController[] = [];

afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
  await server?.stop();
  server = undefined;
});

function api(): ApiServer {
  if (server === undefined) throw new Error('no API server');
  return server;
}

async function modeOf(key: string): Promise<string | undefined> {
  const shadow = (await shadowsByService(api())).get(key) as
    | { metadata: { annotations?: Record<string, string> } }
    | undefined;
  return shadow?.metadata.annotations?.['nodemesh.io/mtls-mode'];
}

async function annotate(path: string, mode: string | null) {
  const res = await fetch(`${api().url}${path}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify({ metadata: { annotations: { 'nodemesh.io/mtls': mode } } }),
  });
  if (!res.ok) throw new Error(`PATCH ${path}: ${res.status} ${await res.text()}`);
}

async function warnings(namespace: string, kind: string, name: string) {
  const events = await call(api(), 'GET', `/api/v1/namespaces/${namespace}/events`);
  return ((events.body.items ?? []) as Record<string, unknown>[]).filter((e) => {
    const about = e.involvedObject as { kind?: string; name?: string } | undefined;
    return about?.kind === kind && about.name === name && e.type === 'Warning';
  }) as { reason: string; message: string }[];
}

describe('the mTLS mode on shadow Services', () => {
  it('follows the Namespace annotation, the Service annotation winning, over the mesh-wide mode', async () => {
    server = await startCluster();
    controllers.push(await startController(server, { identity: 'one', mtlsMode: 'off' }));
    await createService(api(), 'shop', 'orders', [{ name: 'http', port: 80 }]);
    await createService(api(), 'shop', 'pinned', [{ name: 'http', port: 80 }], {
      'nodemesh.io/mtls': 'permissive',
    });
    await createService(api(), 'web', 'front', [{ name: 'http', port: 80 }]);
    await waitFor('the mesh-wide mode on the shadows', async () => (await modeOf('shop/orders')) === 'off');
    expect(await modeOf('shop/pinned')).toBe('permissive');
    expect(await modeOf('web/front')).toBe('off');

    await annotate('/api/v1/namespaces/shop', 'strict');
    await waitFor(
      'the Namespace mode on shop/orders',
      async () => (await modeOf('shop/orders')) === 'strict',
    );
    expect(await modeOf('shop/pinned')).toBe('permissive');
    expect(await modeOf('web/front')).toBe('off');

    await annotate('/api/v1/namespaces/shop/services/pinned', null);
    await waitFor(
      'shop/pinned follows its Namespace',
      async () => (await modeOf('shop/pinned')) === 'strict',
    );
    await annotate('/api/v1/namespaces/shop', null);
    await waitFor('back to the mesh-wide mode', async () => (await modeOf('shop/orders')) === 'off');
    expect(await modeOf('shop/pinned')).toBe('off');
  });

  it('reports a bad annotation with a Warning Event on its Service or Namespace; the next level applies', async () => {
    server = await startCluster();
    controllers.push(await startController(server, { identity: 'one', mtlsMode: 'permissive' }));
    await annotate('/api/v1/namespaces/shop', 'Strict');
    await createService(api(), 'shop', 'orders', [{ name: 'http', port: 80 }], { 'nodemesh.io/mtls': 'on' });
    await waitFor(
      'the shadow with the mesh-wide mode',
      async () => (await modeOf('shop/orders')) === 'permissive',
    );
    await waitFor(
      'a Warning on the Service',
      async () => (await warnings('shop', 'Service', 'orders')).length > 0,
    );
    await waitFor(
      'a Warning on the Namespace',
      async () => (await warnings('shop', 'Namespace', 'shop')).length > 0,
    );
    expect((await warnings('shop', 'Service', 'orders'))[0]?.reason).toBe('InvalidMtlsMode');
    expect((await warnings('shop', 'Service', 'orders'))[0]?.message).toContain('got "on"');
    expect((await warnings('shop', 'Namespace', 'shop'))[0]?.message).toContain('got "Strict"');

    // The Namespace fixed, its mode applies to the Service whose own annotation is still bad.
    await annotate('/api/v1/namespaces/shop', 'strict');
    await waitFor('the Namespace mode', async () => (await modeOf('shop/orders')) === 'strict');
  });
});
