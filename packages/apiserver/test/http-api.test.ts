import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../src/index.js';
import { call, openWatch, waitFor } from './helpers.js';

let server: ApiServer;
const closers: (() => void)[] = [];

beforeEach(async () => {
  server = await startApiServer({ serviceCidr: '127.50.0.0/24', historySize: 50, bookmarkIntervalMs: 50 });
});

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await server.stop();
});

async function retry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= 4) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const cm = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
});

function expectStatus(
  res: { status: number; body: Record<string, unknown> },
  code: number,
  reason: string,
): void {
  expect(res.status).toBe(code);
  expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  expect(typeof res.body.message).toBe('string');
}

describe('REST semantics', () => {
  it('creates with uid, creationTimestamp, generation and generateName', async () => {
    const created = await call(server.url, 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { generateName: 'cfg-' },
      data: { a: '1' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'default', generation: 1 },
    });
    const meta = created.body.metadata as Record<string, unknown>;
    expect(meta.name).toMatch(/^cfg-[a-z0-9]{5}$/);
    expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('answers errors as Kubernetes Status objects', async () => {
    const base = '/api/v1/namespaces/default/configmaps';
    expectStatus(await call(server.url, 'POST', base, '{not json'), 400, 'BadRequest');
    expectStatus(await call(server.url, 'POST', base, 'a: [', 'application/yaml'), 400, 'BadRequest');
    expectStatus(await call(server.url, 'POST', base, '"a string"'), 400, 'BadRequest');
    expectStatus(await call(server.url, 'POST', base, cm('Not_A_Name')), 422, 'Invalid');
    expectStatus(await call(server.url, 'POST', base, { metadata: {} }), 422, 'Invalid');
    expectStatus(
      await call(server.url, 'POST', base, { kind: 'Pod', metadata: { name: 'x' } }),
      400,
      'BadRequest',
    );
    expect((await call(server.url, 'POST', base, cm('dup'))).status).toBe(201);
    expectStatus(await call(server.url, 'POST', base, cm('dup')), 409, 'AlreadyExists');
    expectStatus(await call(server.url, 'GET', `${base}/missing`), 404, 'NotFound');
    expectStatus(await call(server.url, 'GET', '/api/v1/widgets'), 404, 'NotFound');
    expectStatus(await call(server.url, 'GET', '/apis/example.com/v1/things'), 404, 'NotFound');
    expectStatus(
      await call(server.url, 'POST', '/api/v1/namespaces/nope/configmaps', cm('x')),
      404,
      'NotFound',
    );
    expectStatus(await call(server.url, 'PUT', base, cm('x')), 405, 'MethodNotAllowed');
    expectStatus(await call(server.url, 'POST', '/api/v1/configmaps', cm('x')), 405, 'MethodNotAllowed');
    expectStatus(
      await call(server.url, 'PATCH', `${base}/dup`, '{}', 'text/plain'),
      415,
      'UnsupportedMediaType',
    );
    expectStatus(
      await call(server.url, 'POST', base, {
        metadata: { name: 'big' },
        data: { a: 'x'.repeat(4 * 1024 * 1024) },
      }),
      413,
      'RequestEntityTooLarge',
    );
    expectStatus(await call(server.url, 'GET', `${base}?labelSelector=a%3D(b`), 400, 'BadRequest');
    expectStatus(await call(server.url, 'POST', base, cm('badlabel', { 'a b': 'c' })), 422, 'Invalid');
    expectStatus(await call(server.url, 'POST', base, cm('badvalue', { a: 'not ok' })), 422, 'Invalid');
    const invalid = await call(server.url, 'POST', base, cm('Bad_Name'));
    expect(invalid.body.message).toContain('metadata.name');
    // Still serving after all that.
    expect((await call(server.url, 'GET', base)).status).toBe(200);
  });

  it('rejects an update with a stale resourceVersion with 409 Conflict, and bumps generation on spec changes', async () => {
    const base = '/apis/apps/v1/namespaces/default/deployments';
    const created = await call(server.url, 'POST', base, {
      metadata: { name: 'web' },
      spec: { replicas: 1 },
    });
    const rv = (created.body.metadata as { resourceVersion: string }).resourceVersion;
    const updated = await call(server.url, 'PUT', `${base}/web`, {
      metadata: { name: 'web', resourceVersion: rv },
      spec: { replicas: 2 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ metadata: { generation: 2 }, spec: { replicas: 2 } });
    const stale = await call(server.url, 'PUT', `${base}/web`, {
      metadata: { name: 'web', resourceVersion: rv },
      spec: { replicas: 3 },
    });
    expectStatus(stale, 409, 'Conflict');
    expect(stale.body.message).toContain('the object has been modified');
    const labelOnly = await call(
      server.url,
      'PATCH',
      `${base}/web`,
      { metadata: { labels: { a: 'b' } } },
      'application/merge-patch+json',
    );
    expect(labelOnly.body).toMatchObject({ metadata: { generation: 2, labels: { a: 'b' } } });
  });

  it('keeps status apart behind the status subresource', async () => {
    const base = '/api/v1/namespaces/default/pods';
    await call(server.url, 'POST', base, {
      metadata: { name: 'p' },
      spec: { containers: [] },
      status: { phase: 'Running' },
    });
    const ignored = await call(
      server.url,
      'PATCH',
      `${base}/p`,
      { status: { phase: 'Failed' } },
      'application/merge-patch+json',
    );
    expect(ignored.body).toMatchObject({ status: { phase: 'Running' } });
    const set = await call(
      server.url,
      'PATCH',
      `${base}/p/status`,
      { status: { phase: 'Succeeded' }, spec: { nodeName: 'n' } },
      'application/merge-patch+json',
    );
    expect(set.body).toMatchObject({ status: { phase: 'Succeeded' } });
    expect((set.body.spec as Record<string, unknown>).nodeName).toBeUndefined();
    expectStatus(
      await call(server.url, 'GET', '/api/v1/namespaces/default/configmaps/x/status'),
      404,
      'NotFound',
    );
  });

  it('lists with label and field selectors across one or all namespaces', async () => {
    await call(server.url, 'POST', '/api/v1/namespaces', { metadata: { name: 'other' } });
    await call(server.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('a', { tier: 'web' }));
    await call(server.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('b', { tier: 'db' }));
    await call(server.url, 'POST', '/api/v1/namespaces/other/configmaps', cm('c', { tier: 'web' }));
    const names = async (path: string) =>
      ((await call(server.url, 'GET', path)).body.items as { metadata: { name: string } }[]).map(
        (i) => i.metadata.name,
      );
    expect(await names('/api/v1/configmaps?labelSelector=tier%3Dweb')).toEqual(['a', 'c']);
    expect(await names('/api/v1/namespaces/default/configmaps?labelSelector=tier%20in%20(web,db)')).toEqual([
      'a',
      'b',
    ]);
    expect(await names('/api/v1/configmaps?fieldSelector=metadata.namespace%3Dother')).toEqual(['c']);
    expect(await names('/api/v1/configmaps?fieldSelector=metadata.name!%3Da&labelSelector=!missing')).toEqual(
      ['b', 'c'],
    );
    const list = await call(server.url, 'GET', '/api/v1/configmaps');
    expect(list.body).toMatchObject({
      kind: 'ConfigMapList',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(server.store.resourceVersion) },
    });
  });

  it('applies json, merge and strategic patches', async () => {
    const base = '/api/v1/namespaces/default/pods';
    await call(server.url, 'POST', base, {
      metadata: { name: 'p' },
      spec: {
        containers: [
          { name: 'a', image: '1' },
          { name: 'b', image: '1' },
        ],
      },
    });
    const smp = await call(
      server.url,
      'PATCH',
      `${base}/p`,
      { spec: { containers: [{ name: 'b', image: '2' }] } },
      'application/strategic-merge-patch+json',
    );
    expect(smp.body).toMatchObject({
      spec: {
        containers: [
          { name: 'a', image: '1' },
          { name: 'b', image: '2' },
        ],
      },
    });
    const merge = await call(
      server.url,
      'PATCH',
      `${base}/p`,
      { spec: { containers: [{ name: 'c', image: '3' }] } },
      'application/merge-patch+json',
    );
    expect(merge.body).toMatchObject({ spec: { containers: [{ name: 'c', image: '3' }] } });
    const json = await call(
      server.url,
      'PATCH',
      `${base}/p`,
      [{ op: 'replace', path: '/spec/containers/0/image', value: '4' }],
      'application/json-patch+json',
    );
    expect(json.body).toMatchObject({ spec: { containers: [{ name: 'c', image: '4' }] } });
    const bad = await call(
      server.url,
      'PATCH',
      `${base}/p`,
      [{ op: 'remove', path: '/nope' }],
      'application/json-patch+json',
    );
    expectStatus(bad, 422, 'Invalid');
    expectStatus(
      await call(server.url, 'PATCH', `${base}/nope`, {}, 'application/merge-patch+json'),
      404,
      'NotFound',
    );
  });

  it('marks objects with finalizers for deletion and removes them once the finalizers are gone', async () => {
    const base = '/api/v1/namespaces/default/configmaps';
    await call(server.url, 'POST', base, { metadata: { name: 'f', finalizers: ['example.com/hold'] } });
    const deleting = await call(server.url, 'DELETE', `${base}/f`);
    expect(deleting.status).toBe(200);
    expect((deleting.body.metadata as Record<string, unknown>).deletionTimestamp).toBeDefined();
    expect((await call(server.url, 'GET', `${base}/f`)).status).toBe(200);
    await call(
      server.url,
      'PATCH',
      `${base}/f`,
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    );
    expect((await call(server.url, 'GET', `${base}/f`)).status).toBe(404);
  });

  it('turns a deleted namespace Terminating, refuses new content, then removes it and its contents', async () => {
    await call(server.url, 'POST', '/api/v1/namespaces', { metadata: { name: 'gone' } });
    await call(server.url, 'POST', '/api/v1/namespaces/gone/configmaps', cm('x'));
    const deleting = await call(server.url, 'DELETE', '/api/v1/namespaces/gone');
    expect(deleting.body).toMatchObject({ status: { phase: 'Terminating' } });
    expectStatus(
      await call(server.url, 'POST', '/api/v1/namespaces/gone/configmaps', cm('y')),
      403,
      'Forbidden',
    );
    await waitFor('namespace removed', () => server.store.get('namespaces', undefined, 'gone') === undefined);
    expect((await call(server.url, 'GET', '/api/v1/namespaces/gone/configmaps/x')).status).toBe(404);
  });

  it('serves the built-in namespaces and discovery', async () => {
    const ns = await call(server.url, 'GET', '/api/v1/namespaces');
    expect((ns.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public']),
    );
    const core = await call(server.url, 'GET', '/api/v1');
    expect(core.body.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'services', namespaced: true, kind: 'Service', shortNames: ['svc'] }),
        expect.objectContaining({ name: 'pods/status', kind: 'Pod' }),
        expect.objectContaining({ name: 'nodes', namespaced: false }),
      ]),
    );
    const groups = await call(server.url, 'GET', '/apis');
    expect((groups.body.groups as { name: string }[]).map((g) => g.name)).toEqual(
      expect.arrayContaining(['apps', 'discovery.k8s.io', 'coordination.k8s.io', 'apiextensions.k8s.io']),
    );
    expect((await call(server.url, 'GET', '/version')).body).toMatchObject({ major: '1' });
  });
});

describe('Services and EndpointSlices', () => {
  it('allocates ClusterIPs from the configured block, supports headless, and refuses a taken IP with 422', async () => {
    const base = '/api/v1/namespaces/default/services';
    const a = await call(server.url, 'POST', base, {
      metadata: { name: 'a' },
      spec: { ports: [{ port: 80 }] },
    });
    expect(a.body).toMatchObject({
      spec: { clusterIP: expect.stringMatching(/^127\.50\.0\.\d+$/), type: 'ClusterIP' },
    });
    const ip = (a.body.spec as { clusterIP: string }).clusterIP;
    expect((a.body.spec as { clusterIPs: string[] }).clusterIPs).toEqual([ip]);
    const headless = await call(server.url, 'POST', base, {
      metadata: { name: 'h' },
      spec: { clusterIP: 'None' },
    });
    expect(headless.body).toMatchObject({ spec: { clusterIP: 'None', clusterIPs: ['None'] } });
    const taken = await call(server.url, 'POST', base, {
      metadata: { name: 'b' },
      spec: { clusterIP: ip, ports: [{ port: 80 }] },
    });
    expectStatus(taken, 422, 'Invalid');
    expect(taken.body.message).toContain('already allocated');
    expectStatus(
      await call(server.url, 'POST', base, {
        metadata: { name: 'c' },
        spec: { clusterIP: '10.0.0.1', ports: [{ port: 80 }] },
      }),
      422,
      'Invalid',
    );
    await call(server.url, 'DELETE', `${base}/a`);
    expect(
      (
        await call(server.url, 'POST', base, {
          metadata: { name: 'd' },
          spec: { clusterIP: ip, ports: [{ port: 80 }] },
        })
      ).status,
    ).toBe(201);
  });

  it('keeps EndpointSlices in step with pods', async () => {
    await call(server.url, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    const pod = (ready: boolean) => ({
      metadata: { name: 'web-1', labels: { app: 'web' } },
      spec: {
        nodeName: 'node-a',
        containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }],
      },
      status: { podIP: '10.1.0.5', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    });
    await call(server.url, 'POST', '/api/v1/namespaces/default/pods', pod(true));
    const slices = async () =>
      (
        await call(
          server.url,
          'GET',
          '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb',
        )
      ).body.items as {
        endpoints: { addresses: string[]; conditions: { ready: boolean } }[];
        ports: { port: number }[];
      }[];
    let current = await slices();
    expect(current).toHaveLength(1);
    expect(current[0]?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(current[0]?.endpoints).toMatchObject([{ addresses: ['10.1.0.5'], conditions: { ready: true } }]);

    await call(server.url, 'PUT', '/api/v1/namespaces/default/pods/web-1/status', pod(false));
    current = await slices();
    expect(current[0]?.endpoints).toMatchObject([{ conditions: { ready: false } }]);

    const endpoints = await call(server.url, 'GET', '/api/v1/namespaces/default/endpoints/web');
    expect(endpoints.body).toMatchObject({
      subsets: [
        {
          notReadyAddresses: [{ ip: '10.1.0.5', nodeName: 'node-a' }],
          ports: [{ name: 'http', port: 8080 }],
        },
      ],
    });

    await call(server.url, 'DELETE', '/api/v1/namespaces/default/pods/web-1');
    current = await slices();
    expect(current[0]?.endpoints).toEqual([]);

    expect(
      (await call(server.url, 'GET', '/api/v1/namespaces/default/endpoints/web')).body,
    ).not.toHaveProperty('subsets');
    await call(server.url, 'DELETE', '/api/v1/namespaces/default/services/web');
    expect(await slices()).toEqual([]);
    expect((await call(server.url, 'GET', '/api/v1/namespaces/default/endpoints/web')).status).toBe(404);
  });
});

describe('terminating endpoints', () => {
  it('shows a pod held by a finalizer as terminating, then drops it', async () => {
    await call(server.url, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'api' },
      spec: { selector: { app: 'api' }, ports: [{ port: 80 }] },
    });
    await call(server.url, 'POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'api-1', labels: { app: 'api' }, finalizers: ['example.com/drain'] },
      spec: { containers: [{ name: 'c' }] },
      status: { podIP: '10.2.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const endpoints = async () =>
      (
        (
          await call(
            server.url,
            'GET',
            '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dapi',
          )
        ).body.items as { endpoints: { conditions: Record<string, boolean> }[] }[]
      )[0]?.endpoints ?? [];
    expect((await endpoints())[0]?.conditions).toEqual({ ready: true, serving: true, terminating: false });
    await call(server.url, 'DELETE', '/api/v1/namespaces/default/pods/api-1');
    expect((await endpoints())[0]?.conditions).toEqual({ ready: false, serving: true, terminating: true });
    await call(
      server.url,
      'PATCH',
      '/api/v1/namespaces/default/pods/api-1',
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    );
    expect(await endpoints()).toEqual([]);
  });
});

describe('watch', () => {
  const base = '/api/v1/namespaces/default/configmaps';

  it('streams events after a resourceVersion, honouring selectors, including moves out of them', async () => {
    const created = await call(server.url, 'POST', base, cm('a', { tier: 'web' }));
    const rv = (created.body.metadata as { resourceVersion: string }).resourceVersion;
    await call(server.url, 'POST', base, cm('b', { tier: 'web' }));
    const watch = await openWatch(
      `${server.url}${base}?watch=1&resourceVersion=${rv}&labelSelector=tier%3Dweb`,
    );
    closers.push(watch.close);
    await call(server.url, 'POST', base, cm('c', { tier: 'db' }));
    await call(
      server.url,
      'PATCH',
      `${base}/a`,
      { metadata: { labels: { tier: 'db' } } },
      'application/merge-patch+json',
    );
    await call(
      server.url,
      'PATCH',
      `${base}/c`,
      { metadata: { labels: { tier: 'web' } } },
      'application/merge-patch+json',
    );
    await call(server.url, 'DELETE', `${base}/b`);
    await waitFor('four events', () => watch.events.length >= 4);
    expect(watch.events.map((e) => `${e.type}:${e.object.metadata?.name}`)).toEqual([
      'ADDED:b',
      'DELETED:a',
      'ADDED:c',
      'DELETED:b',
    ]);
  });

  it('sends current objects as ADDED when no resourceVersion is given, across all namespaces', async () => {
    await call(server.url, 'POST', base, cm('x'));
    const watch = await openWatch(`${server.url}/api/v1/configmaps?watch=true`);
    closers.push(watch.close);
    await waitFor('initial ADDED', () => watch.events.length >= 1);
    await call(server.url, 'POST', '/api/v1/namespaces/kube-system/configmaps', cm('y'));
    await waitFor('second ADDED', () => watch.events.length >= 2);
    expect(watch.events.map((e) => `${e.type}:${e.object.metadata?.name}`)).toEqual(['ADDED:x', 'ADDED:y']);
  });

  it('answers a resourceVersion older than the history with an ERROR 410 Expired event and ends', async () => {
    for (let i = 0; i < 60; i++) await call(server.url, 'POST', base, cm(`n${i}`));
    const watch = await openWatch(`${server.url}${base}?watch=1&resourceVersion=2`);
    await watch.ended;
    expect(watch.events).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) },
    ]);
  });

  it('sends bookmarks when allowed and ends at timeoutSeconds', async () => {
    const watch = await openWatch(
      `${server.url}${base}?watch=1&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=1`,
    );
    await watch.ended;
    const bookmarks = watch.events.filter((e) => e.type === 'BOOKMARK');
    expect(bookmarks.length).toBeGreaterThan(0);
    expect(bookmarks[0]?.object.metadata?.resourceVersion).toBe(String(server.store.resourceVersion));
  });

  it('rejects a malformed resourceVersion', async () => {
    expectStatus(await call(server.url, 'GET', `${base}?watch=1&resourceVersion=abc`), 400, 'BadRequest');
  });
});

describe('CRDs', () => {
  const crd = (plural: string) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.example.com` },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural, singular: plural.slice(0, -1), kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
            },
          },
        },
      ],
    },
  });

  it('serves a CRD once created, marks it Established, validates, and stops serving it when deleted', async () => {
    const created = await call(
      server.url,
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      crd('widgets'),
    );
    expect(created.status).toBe(201);
    const path = '/apis/example.com/v1/namespaces/default/widgets';
    expect(
      (
        await call(server.url, 'POST', path, {
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: 'w' },
          spec: { size: 3 },
        })
      ).status,
    ).toBe(201);
    const bad = await call(server.url, 'POST', path, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'v' },
      spec: { size: 'big' },
    });
    expectStatus(bad, 422, 'Invalid');
    expect(bad.body.message).toContain('spec.size');
    const discovery = await call(server.url, 'GET', '/apis/example.com/v1');
    expect(discovery.body.resources).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'widgets', kind: 'Widget' })]),
    );
    await waitFor('Established', () => {
      const stored = server.store.get(
        'customresourcedefinitions.apiextensions.k8s.io',
        undefined,
        'widgets.example.com',
      );
      return JSON.stringify(stored?.status ?? {}).includes('"Established"');
    });
    expect(
      (
        await call(
          server.url,
          'DELETE',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com',
        )
      ).status,
    ).toBe(200);
    expectStatus(await call(server.url, 'GET', path), 404, 'NotFound');
    expect((await call(server.url, 'GET', '/apis/example.com/v1')).status).toBe(404);
  });

  it('prunes fields the schema does not declare, or refuses them with fieldValidation=Strict', async () => {
    await call(server.url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd('widgets'));
    const path = '/apis/example.com/v1/namespaces/default/widgets';
    const body = (name: string) => ({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name },
      spec: { size: 1, colour: 'red' },
    });
    const pruned = await call(server.url, 'POST', path, body('p'));
    expect(pruned.status).toBe(201);
    expect(pruned.body.spec).toEqual({ size: 1 });
    const strict = await call(server.url, 'POST', `${path}?fieldValidation=Strict`, body('s'));
    expectStatus(strict, 400, 'BadRequest');
    expect(strict.body.message).toContain('unknown field "spec.colour"');
  });

  it('rejects an invalid CRD with 422', async () => {
    const bad = crd('widgets');
    bad.metadata.name = 'wrong.example.com';
    expectStatus(
      await call(server.url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', bad),
      422,
      'Invalid',
    );
  });
});

describe('faults', () => {
  it('fails the next N requests with 500 or 429, programmatically and over HTTP', async () => {
    server.faults.failNext(2, 500);
    expectStatus(await call(server.url, 'GET', '/api/v1/namespaces'), 500, 'InternalError');
    expectStatus(await call(server.url, 'GET', '/api/v1/namespaces'), 500, 'InternalError');
    expect((await call(server.url, 'GET', '/api/v1/namespaces')).status).toBe(200);
    expect((await call(server.url, 'POST', '/_nodemesh/faults/fail?count=1&code=429')).status).toBe(200);
    const limited = await fetch(`${server.url}/api/v1/namespaces`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await call(server.url, 'POST', '/_nodemesh/faults/fail?count=1&code=418')).status).toBe(400);
  });

  it('restarts on the same port, keeping state or losing it', async () => {
    await call(server.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('kept'));
    const watch = await openWatch(`${server.url}/api/v1/configmaps?watch=1`);
    await server.restart({ keepState: true });
    await watch.ended;
    // The restart cut the client's pooled keep-alive connection; like any client, retry once on that.
    expect(
      (await retry(() => call(server.url, 'GET', '/api/v1/namespaces/default/configmaps/kept'))).status,
    ).toBe(200);
    const rv = server.store.resourceVersion;
    await call(server.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('after'));
    expect(server.store.resourceVersion).toBeGreaterThan(rv);

    const res = await retry(() => call(server.url, 'POST', '/_nodemesh/faults/restart?keepState=false'));
    expect(res.status).toBe(202);
    await waitFor(
      'restart without state',
      () => server.store.get('configmaps', 'default', 'kept') === undefined,
    );
    await waitFor('serving again', () => server.store.get('namespaces', undefined, 'default') !== undefined);
    const again = await retry(() => call(server.url, 'GET', '/api/v1/namespaces/default/configmaps/kept'));
    expect(again.status).toBe(404);
  });
});

describe('dry run', () => {
  it('checks and answers but stores nothing, and gives back a ClusterIP it took', async () => {
    const base = '/api/v1/namespaces/default/services';
    const dry = await call(server.url, 'POST', `${base}?dryRun=All`, {
      metadata: { name: 'dry' },
      spec: { ports: [{ port: 80 }] },
    });
    expect(dry.status).toBe(201);
    const ip = (dry.body.spec as { clusterIP: string }).clusterIP;
    expect(ip).toMatch(/^127\.50\./);
    expect((await call(server.url, 'GET', `${base}/dry`)).status).toBe(404);
    expect(
      (
        await call(server.url, 'POST', base, {
          metadata: { name: 'real' },
          spec: { clusterIP: ip, ports: [{ port: 80 }] },
        })
      ).status,
    ).toBe(201);
    const rv = server.store.resourceVersion;
    const patched = await call(
      server.url,
      'PATCH',
      `${base}/real?dryRun=All`,
      { metadata: { labels: { a: 'b' } } },
      'application/merge-patch+json',
    );
    expect(patched.body).toMatchObject({ metadata: { labels: { a: 'b' } } });
    expect((await call(server.url, 'DELETE', `${base}/real?dryRun=All`)).status).toBe(200);
    expect(server.store.resourceVersion).toBe(rv);
    expect((await call(server.url, 'GET', `${base}/real`)).body).not.toHaveProperty('metadata.labels');
    expectStatus(await call(server.url, 'DELETE', `${base}/real?dryRun=Some`), 400, 'BadRequest');
  });
});

describe('watch list', () => {
  it('marks the end of the initial events with a bookmark when sendInitialEvents is set', async () => {
    await call(server.url, 'POST', '/api/v1/namespaces/default/configmaps', cm('one'));
    const watch = await openWatch(
      `${server.url}/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    );
    closers.push(watch.close);
    await waitFor('initial events and bookmark', () => watch.events.length >= 2);
    expect(watch.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'one' } } });
    expect(watch.events[1]).toMatchObject({
      type: 'BOOKMARK',
      object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } },
    });
  });
});
