/** A cluster DNS ConfigMap the controller cannot use gets one Warning Event, not one per sync. */
import type { ApiServer } from '@nodemesh/apiserver';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnsController } from '../../src/index.js';
import { call, startCluster, startController, waitFor } from './support.js';

let server: ApiServer | undefined;
const controllers: DnsController[] = [];

afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
  await server?.stop();
  server = undefined;
});

async function warnings(s: ApiServer) {
  const events = await call(s, 'GET', '/api/v1/namespaces/kube-system/events');
  return ((events.body.items ?? []) as Record<string, unknown>[]).filter(
    (e) => e.reason === 'MeshForwardNotApplied',
  );
}

async function setCorefile(s: ApiServer, data: Record<string, string>) {
  const path = '/api/v1/namespaces/kube-system/configmaps/coredns';
  const current = await call(s, 'GET', path);
  const result = await call(s, 'PUT', path, { ...current.body, data });
  if (result.status >= 300) throw new Error(`PUT coredns: ${result.status}`);
}

describe('cluster DNS problems as Events', () => {
  it('records an unparseable Corefile once on the coredns ConfigMap, and a missing one after it', async () => {
    server = await startCluster();
    const s = server;
    await setCorefile(s, { Corefile: '.:53 {\n    errors\n' });
    const controller = await startController(s, { identity: 'one', resyncIntervalMs: 200 });
    controllers.push(controller);
    await waitFor('the Event', async () => (await warnings(s)).length === 1);
    const [event] = await warnings(s);
    expect(event).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'ConfigMap', namespace: 'kube-system', name: 'coredns' },
      count: 1,
    });
    expect(String(event?.message)).toContain('coredns.data.Corefile');

    // Resyncs of the same problem record nothing more; a later, different problem is its own Event.
    await setCorefile(s, {});
    await waitFor('the second Event', async () => (await warnings(s)).length === 2);
    const messages = (await warnings(s)).map((e) => String(e.message));
    expect(messages.some((m) => m.includes('has no Corefile'))).toBe(true);
    expect((await warnings(s)).every((e) => e.count === 1)).toBe(true);
  });
});
