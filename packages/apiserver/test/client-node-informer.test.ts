import { CoreV1Api, type KubernetesObject, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../src/index.js';
import { call, kubeConfigFor, waitFor } from './helpers.js';

const servers: ApiServer[] = [];
const stoppers: (() => void)[] = [];

afterEach(async () => {
  for (const stop of stoppers.splice(0)) stop();
  for (const server of servers.splice(0)) await server.stop();
});

async function setup(options: Parameters<typeof startApiServer>[0] = {}, restartOnError = false) {
  const server = await startApiServer(options);
  servers.push(server);
  const kc = kubeConfigFor(server.url);
  const core = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1Pod>(kc, '/api/v1/namespaces/default/pods', () =>
    core.listNamespacedPod({ namespace: 'default' }),
  );
  const seen: string[] = [];
  const names = (kind: string) => (obj: KubernetesObject) => seen.push(`${kind}:${obj.metadata?.name}`);
  informer.on('add', names('add'));
  informer.on('update', names('update'));
  informer.on('delete', names('delete'));
  const errors: unknown[] = [];
  let stopped = false;
  informer.on('error', (err: unknown) => {
    errors.push(err);
    // The pattern client-node documents: after an error the informer stops; start it again a bit later.
    if (restartOnError && !stopped) setTimeout(() => !stopped && void informer.start(), 100);
  });
  await informer.start();
  stoppers.push(() => {
    stopped = true;
    void informer.stop();
  });
  return { server, core, informer, seen, errors };
}

function pod(name: string, labels: Record<string, string> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'x' }] },
  };
}

describe('client-node informers against the in-memory API server', () => {
  it('see adds, updates and deletes', async () => {
    const { core, informer, seen, errors } = await setup();
    await core.createNamespacedPod({ namespace: 'default', body: pod('a') });
    await waitFor('add of a', () => seen.includes('add:a'));
    // client-node sends PATCH bodies as JSON patch by default.
    await core.patchNamespacedPod({
      namespace: 'default',
      name: 'a',
      body: [{ op: 'add', path: '/metadata/labels', value: { x: 'y' } }],
    });
    await waitFor('update of a', () => seen.includes('update:a'));
    expect(informer.get('a', 'default')?.metadata?.labels).toEqual({ x: 'y' });
    await core.deleteNamespacedPod({ namespace: 'default', name: 'a' });
    await waitFor('delete of a', () => seen.includes('delete:a'));
    expect(informer.list('default')).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('recovers after all watches are dropped', async () => {
    const { server, core, seen, errors } = await setup();
    await core.createNamespacedPod({ namespace: 'default', body: pod('before') });
    await waitFor('add of before', () => seen.includes('add:before'));
    expect(server.faults.dropWatches()).toBeGreaterThan(0);
    await core.createNamespacedPod({ namespace: 'default', body: pod('after') });
    await waitFor('add of after', () => seen.includes('add:after'));
    expect(seen.filter((s) => s === 'add:before')).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('dropping watches over HTTP works the same', async () => {
    const { server, core, seen } = await setup();
    const res = await call(server.url, 'POST', '/_nodemesh/faults/drop-watches');
    expect(res.status).toBe(200);
    await core.createNamespacedPod({ namespace: 'default', body: pod('later') });
    await waitFor('add of later', () => seen.includes('add:later'));
  });

  it('relists after a 410 Expired when its resourceVersion fell out of the history', async () => {
    const { server, core, informer, seen, errors } = await setup({ historySize: 5 });
    await core.createNamespacedPod({ namespace: 'default', body: pod('keep') });
    await waitFor('add of keep', () => seen.includes('add:keep'));
    // Resume point = the informer's last seen version; then push it out of the 5-event history while no
    // watch is open: drop watches and make the re-watch fail once so the informer has to come back later.
    const staleVersion = server.store.resourceVersion;
    server.faults.failNext(1, 500);
    server.faults.dropWatches();
    await waitFor('informer error from injected 500', () => errors.length > 0);
    for (let i = 0; i < 8; i++) {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `cm-${i}` } } });
    }
    await core.deleteNamespacedPod({ namespace: 'default', name: 'keep' });
    await core.createNamespacedPod({ namespace: 'default', body: pod('fresh') });
    expect(server.store.oldestResumableVersion).toBeGreaterThan(staleVersion);
    // Restart the informer: its watch from the stale version gets ERROR 410, it relists, and the delete
    // it missed shows up.
    await informer.start();
    await waitFor('relist after 410', () => seen.includes('add:fresh') && seen.includes('delete:keep'));
    expect(informer.list('default').map((p) => p.metadata?.name)).toEqual(['fresh']);
  });

  it('relists after a restart that lost all state, and sees its objects gone', async () => {
    const { server, core, seen } = await setup({}, true);
    await core.createNamespacedPod({ namespace: 'default', body: pod('lost') });
    await waitFor('add of lost', () => seen.includes('add:lost'));
    await server.restart({ keepState: false, downMs: 200 });
    await waitFor('delete of lost', () => seen.includes('delete:lost'), 10_000);
    await core.createNamespacedPod({ namespace: 'default', body: pod('new') });
    await waitFor('add of new', () => seen.includes('add:new'));
  });
});
