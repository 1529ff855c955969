/**
 * A data-plane worker (a `cluster` worker of `nodemesh-proxy run --workers N`): one NodeProxy serving the
 * node's ports beside its siblings, fed by the primary over IPC. It never talks to the API server: inputs
 * arrive as changes (input-delta.ts) and are built into a snapshot by this worker's own incremental builder;
 * the callers of the node arrive pod by pod, and the node's workload identities (keys, chains, trust bundle)
 * as the primary obtains and renews them, held in memory only. It answers scrapes with its metric cells and exits when told
 * to stop (after draining) or when the primary goes away.
 *
 * Imports stay clear of the Kubernetes client (only `@nodemesh/kube-runtime`'s logger and metrics
 * subpaths), so a worker costs the memory of the data plane alone.
 */
import { createLogger, type Logger } from '@nodemesh/kube-runtime/logger';
import { processMetrics } from '@nodemesh/kube-runtime/metrics';
import { ReceivedIdentities } from '../identity/received-identities.js';
import { CallerIndex } from '../metrics/caller-index.js';
import { NodeProxy } from '../node-proxy.js';
import type { TopologyInputs } from '../topology/inputs.js';
import { NodeProxyDirectory } from '../tunnel/node-proxy-directory.js';
import { applyDelta } from './input-delta.js';
import { type FromWorker, isToWorker, type ToWorker, type WorkerSettings } from './messages.js';

const send = (message: FromWorker) => process.send?.(message);

let proxy: NodeProxy | undefined;
let log: Logger | undefined;
let inputs: TopologyInputs | undefined;
const callers = new CallerIndex();
const identities = new ReceivedIdentities();
const nodeProxies = new NodeProxyDirectory();
/** Messages are handled one at a time, in order: a snapshot is never applied over another. */
let queue: Promise<void> = Promise.resolve();
let stopping = false;

function start(settings: WorkerSettings): NodeProxy {
  log = createLogger({ component: 'node-proxy', level: settings.logLevel }).child({ worker: process.pid });
  const { bindPorts, logLevel: _level, workers, tunnel, ...options } = settings;
  const created = new NodeProxy({
    ...options,
    ...(tunnel === undefined ? {} : { tunnel: { settings: tunnel, pods: callers } }),
    workers,
    admin: false,
    callers,
    nodeProxies,
    logger: log,
    ...(bindPorts === undefined ? {} : { bindPort: (kind, port) => bindPorts[`${kind}:${port}`] ?? port }),
  });
  // This process's CPU and memory, added to the primary's and the other workers' at scrape time.
  created.metrics.registry.collector(processMetrics());
  created.useIdentities(identities);
  return created;
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'init':
      if (proxy !== undefined) return;
      proxy = start(message.settings);
      await proxy.start();
      send({ type: 'started' });
      return;
    case 'inputs': {
      if (proxy === undefined) return;
      inputs = applyDelta(inputs, message.delta);
      const snapshot = await proxy.applyInputs(inputs);
      if (message.synced) await proxy.markSynced();
      send({ type: 'applied', seq: message.seq, version: snapshot.version, ...proxy.readiness() });
      return;
    }
    case 'resync':
      if (proxy === undefined) return;
      await proxy.resync();
      send({ type: 'applied', seq: message.seq, version: proxy.snapshot.version, ...proxy.readiness() });
      return;
    case 'callers':
      for (const [key, pod] of message.pods) callers.set(key, pod ?? undefined);
      return;
    case 'node-proxies':
      for (const [key, pod] of message.pods) nodeProxies.set(key, pod ?? undefined);
      return;
    case 'identities':
      identities.apply(message.update);
      return;
    case 'scrape':
      send({ type: 'metrics', id: message.id, families: proxy?.metrics.registry.collect() ?? [] });
      return;
    case 'identity-status':
      send({ type: 'identity-status', id: message.id, identities: identities.held() });
      return;
    case 'stop':
      await stop(0);
      return;
  }
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await proxy?.stop();
  } finally {
    process.exit(code);
  }
}

process.on('message', (message: unknown) => {
  if (!isToWorker(message)) return;
  // Scrapes and identities are handled at once, not behind a snapshot being applied (in order all the same:
  // neither waits for anything).
  if (
    message.type === 'scrape' ||
    message.type === 'identities' ||
    message.type === 'node-proxies' ||
    message.type === 'identity-status'
  ) {
    void handle(message);
    return;
  }
  queue = queue.then(
    () => handle(message),
    () => handle(message),
  );
  queue.catch((error: unknown) => log?.error('worker message failed', { type: message.type, error }));
});
// The primary is gone (it exited or was killed): nothing feeds this worker any more.
process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => undefined);
send({ type: 'loaded' });
