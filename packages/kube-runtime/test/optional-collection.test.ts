/** OptionalCollection: a custom resource watched in the first version the server serves, or treated as none. */
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceInformer } from '../src/informer.js';
import { loadKubeConfig } from '../src/kube-config.js';
import { silentLogger } from '../src/logger.js';
import { OptionalCollection } from '../src/optional-collection.js';
import { FakeListWatchServer, waitFor } from './fake-list-watch-server.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function collectionOn(served: string, paths: string[]) {
  const server = new FakeListWatchServer(served);
  const url = await server.listen();
  closers.push(() => server.close());
  const { config } = await loadKubeConfig({ server: url });
  let settled = 0;
  const collection = new OptionalCollection({
    config,
    name: 'things',
    paths,
    probeIntervalMs: 50,
    logger: silentLogger,
    onSettled: () => settled++,
    informer: (path) =>
      new ResourceInformer({
        name: 'things',
        config,
        path,
        logger: silentLogger,
        handlers: { onSynced: () => settled++ },
      }),
  });
  closers.push(() => collection.stop());
  return { server, collection, settled: () => settled };
}

describe('OptionalCollection', () => {
  it('watches the first version the server serves', async () => {
    const { server, collection } = await collectionOn('/apis/g/v1alpha2/things', [
      '/apis/g/v1/things',
      '/apis/g/v1alpha2/things',
    ]);
    server.put('a');
    collection.start();
    await waitFor(
      'the object of the served version',
      () => collection.settled() && collection.objects().length === 1,
    );
    expect(collection.watchedPath()).toBe('/apis/g/v1alpha2/things');
    expect(collection.absent()).toBe(false);
  });

  it('counts a kind served in no version as settled and empty, and keeps looking', async () => {
    const { server, collection, settled } = await collectionOn('/apis/g/v1/others', ['/apis/g/v1/things']);
    collection.start();
    await waitFor('settled as absent', () => collection.settled());
    expect([collection.absent(), collection.objects(), settled()]).toEqual([true, [], 1]);
    expect(collection.state()).toMatchObject({ name: 'things', synced: true });
    await waitFor(
      'probes again',
      () => server.requests.filter((r) => r.pathname === '/apis/g/v1/things').length >= 3,
    );
  });
});
