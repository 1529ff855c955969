/**
 * The primary's side of `--workers N`: forks the data-plane workers with `cluster` (worker-main.ts), hands
 * each one the inputs as changes, the node's callers pod by pod and its workload identities as they change,
 * and keeps doing so for a worker that replaces a dead one (restarted with a backoff, fed the whole state
 * first). It answers three questions for
 * the primary: is the data plane ready, what are its metrics (every worker's cells, added up), and when has
 * every worker drained.
 *
 * Counters of a worker that died are kept as they were last scraped and added to the sum, so the node's
 * counters never go backwards when a worker is replaced (Prometheus would read that as a reset and count
 * the survivors' totals as new). What happened between that scrape and the crash is lost.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { type Backoff, defaultBackoff, type Logger } from '@nodemesh/kube-runtime';
import { type FamilySnapshot, mergeFamilies } from '@nodemesh/kube-runtime/metrics';
import type { ReceivedIdentity } from '../identity/received-identities.js';
import type { IdentityUpdate } from '../identity/shared-identity.js';
import type { CallerIndex, PodCaller } from '../metrics/caller-index.js';
import type { TopologyInputs } from '../topology/inputs.js';
import type { NodeProxyDirectory, NodeProxyPod } from '../tunnel/node-proxy-directory.js';
import { diffInputs } from './input-delta.js';
import { type FromWorker, isFromWorker, type ToWorker, type WorkerSettings } from './messages.js';

export interface WorkerFleetOptions {
  readonly workers: number;
  readonly settings: Omit<WorkerSettings, 'workers'>;
  readonly callers: CallerIndex;
  /** The node proxies of the cluster (for the tunnel), handed on as they change. */
  readonly nodeProxies?: NodeProxyDirectory;
  readonly logger: Logger;
  /** Delay before restarting a worker that died, by how many times its slot died in a row. */
  readonly restartBackoff?: Backoff;
  /** A worker answering no scrape within this is left out of that scrape (default 2 s). */
  readonly scrapeTimeoutMs?: number;
  /** How long stop() waits for workers to drain and exit before killing them (default 15 s). */
  readonly stopTimeoutMs?: number;
}

/** Where the workers' identities come from: the control loop's WorkloadIdentities. */
export interface IdentitySource {
  onChange(listener: (update: IdentityUpdate) => void): () => void;
  shared(): IdentityUpdate;
}

/** The worker entry, from the package's build (also when this module runs from its sources in tests). */
const WORKER_MAIN = fileURLToPath(new URL('../../dist/workers/worker-main.js', import.meta.url));

/** A slot lived this long: its next death starts the backoff afresh. */
const STABLE_MS = 60_000;

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  /** The worker has started its NodeProxy and been handed the state. */
  started: boolean;
  /** The last `seq` it applied, its snapshot version, readiness. */
  applied: number;
  version: number;
  ready: boolean;
  reason: string;
  forkedAt: number;
  deaths: number;
  lastFamilies: readonly FamilySnapshot[] | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

export class WorkerFleet {
  readonly #options: WorkerFleetOptions;
  readonly #log: Logger;
  readonly #slots: Slot[];
  readonly #backoff: Backoff;
  /** The inputs last sent (what a new worker is given in full). */
  #inputs: TopologyInputs | undefined;
  #seq = 0;
  #synced = false;
  #stopping = false;
  #requests = 0;
  /** Counters and histograms of dead workers, as last scraped. */
  #retired: readonly FamilySnapshot[] = [];
  readonly #unsubscribeCallers: () => void;
  #identities: { readonly source: IdentitySource; readonly unsubscribe: () => void } | undefined;

  constructor(options: WorkerFleetOptions) {
    this.#options = options;
    this.#log = options.logger.child({ part: 'workers' });
    this.#backoff = options.restartBackoff ?? defaultBackoff;
    this.#slots = Array.from({ length: options.workers }, (_, index) => ({
      index,
      worker: undefined,
      started: false,
      applied: -1,
      version: 0,
      ready: false,
      reason: 'starting',
      forkedAt: 0,
      deaths: 0,
      lastFamilies: undefined,
      restartTimer: undefined,
    }));
    const unsubscribeCallers = options.callers.onChange((key, pod) =>
      this.#broadcast({ type: 'callers', pods: [[key, pod ?? null]] }),
    );
    const unsubscribeNodeProxies = options.nodeProxies?.onChange((key, pod) =>
      this.#broadcast({ type: 'node-proxies', pods: [[key, pod ?? null]] }),
    );
    this.#unsubscribeCallers = () => {
      unsubscribeCallers();
      unsubscribeNodeProxies?.();
    };
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Forks every worker; resolves once each has started (or died trying: it is then restarted). */
  async start(): Promise<void> {
    cluster.setupPrimary({ exec: WORKER_MAIN, args: [], serialization: 'advanced' });
    await Promise.all(this.#slots.map((slot) => this.#fork(slot)));
  }

  /**
   * Hands the node's workload identities to every worker, now and as they change (keys included, over the
   * IPC channel only).
   */
  shareIdentities(source: IdentitySource): void {
    this.#identities?.unsubscribe();
    const unsubscribe = source.onChange((update) => this.#broadcast({ type: 'identities', update }));
    this.#identities = { source, unsubscribe };
    this.#broadcast({ type: 'identities', update: source.shared() });
  }

  /** Sends the workers what changed since the last inputs. */
  update(inputs: TopologyInputs): void {
    const delta = diffInputs(this.#inputs, inputs);
    this.#inputs = inputs;
    this.#seq++;
    this.#broadcast({ type: 'inputs', seq: this.#seq, delta, synced: this.#synced });
  }

  /** Asks every worker to apply its snapshot again (retrying listeners that failed). */
  resync(): void {
    this.#seq++;
    this.#broadcast({ type: 'resync', seq: this.#seq });
  }

  /** The inputs are complete: workers may report ready once their listeners are open. */
  markSynced(): void {
    this.#synced = true;
    this.update(this.#inputs ?? emptyInputs());
  }

  /**
   * Ready when at least one worker has applied the latest inputs and none of those that have reports a
   * listener it could not open. A worker still starting or catching up serves nothing yet, so it does not
   * count either way.
   */
  readiness(): { ready: boolean; reason: string } {
    if (!this.#synced) return { ready: false, reason: 'inputs have not synced yet' };
    const current = this.#slots.filter((s) => s.started && s.applied === this.#seq);
    const failing = current.find((s) => !s.ready);
    if (failing !== undefined) return { ready: false, reason: `worker ${failing.index}: ${failing.reason}` };
    if (current.length === 0) return { ready: false, reason: 'no worker has applied the latest inputs yet' };
    return { ready: true, reason: '' };
  }

  /** The metric families of every worker (and of the dead ones' counters), each worker's list apart. */
  async scrape(): Promise<(readonly FamilySnapshot[])[]> {
    const timeoutMs = this.#options.scrapeTimeoutMs ?? 2_000;
    const live = this.#slots.filter((s) => s.started && s.worker !== undefined);
    const lists = await Promise.all(
      live.map(async (slot) => {
        const families = await this.#ask(
          slot,
          timeoutMs,
          (id) => ({ type: 'scrape', id }),
          (answer) => (answer.type === 'metrics' ? answer.families : undefined),
        );
        if (families !== undefined) slot.lastFamilies = families;
        return families ?? [];
      }),
    );
    return [this.#retired, ...lists];
  }

  /** Per worker (in slot order): the identities it holds, or undefined when it did not answer. */
  async identityStatus(timeoutMs = 2_000): Promise<(readonly ReceivedIdentity[] | undefined)[]> {
    return Promise.all(
      this.#slots.map((slot) =>
        slot.started
          ? this.#ask(
              slot,
              timeoutMs,
              (id) => ({ type: 'identity-status', id }),
              (answer) => (answer.type === 'identity-status' ? answer.identities : undefined),
            )
          : Promise.resolve(undefined),
      ),
    );
  }

  /** Per worker: its process id, whether it is up to date and ready, its snapshot version. */
  status(): { pid: number | undefined; current: boolean; ready: boolean; version: number }[] {
    return this.#slots.map((s) => ({
      pid: s.worker?.process.pid,
      current: s.started && s.applied === this.#seq,
      ready: s.ready,
      version: s.version,
    }));
  }

  /** Tells every worker to drain and exit; kills those still there after the stop timeout. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#unsubscribeCallers();
    this.#identities?.unsubscribe();
    for (const slot of this.#slots) if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
    const exits = this.#slots.flatMap((slot) => {
      const { worker } = slot;
      if (worker === undefined || worker.isDead()) return [];
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      this.#send(worker, { type: 'stop' });
      return [exited];
    });
    const deadline = new Promise<'late'>((resolve) =>
      setTimeout(() => resolve('late'), this.#options.stopTimeoutMs ?? 15_000).unref(),
    );
    if ((await Promise.race([Promise.all(exits), deadline])) === 'late') {
      for (const slot of this.#slots)
        if (slot.worker?.isDead() === false) slot.worker.process.kill('SIGKILL');
      await Promise.all(exits);
    }
  }

  #fork(slot: Slot): Promise<void> {
    slot.forkedAt = performance.now();
    slot.started = false;
    slot.applied = -1;
    const worker = cluster.fork();
    slot.worker = worker;
    return new Promise<void>((resolve) => {
      worker.on('message', (message: unknown) => {
        if (!isFromWorker(message)) return;
        if (message.type === 'loaded') {
          this.#send(worker, {
            type: 'init',
            settings: { ...this.#options.settings, workers: this.#slots.length },
          });
        } else if (message.type === 'started') {
          this.#handOver(slot, worker);
          resolve();
        } else this.#heard(slot, message);
      });
      worker.on('error', (error) => this.#log.warn('worker channel error', { worker: slot.index, error }));
      worker.once('exit', (code, signal) => {
        resolve();
        this.#died(slot, worker, code, signal);
      });
    });
  }

  /** A started worker gets the whole state: every caller and identity, then every input as one change. */
  #handOver(slot: Slot, worker: Worker): void {
    const pods = this.#options.callers.pods().map((pod): readonly [string, PodCaller] => [pod.key, pod]);
    if (pods.length > 0) this.#send(worker, { type: 'callers', pods });
    const proxies = (this.#options.nodeProxies?.pods() ?? []).map((pod): readonly [string, NodeProxyPod] => [
      pod.key,
      pod,
    ]);
    if (proxies.length > 0) this.#send(worker, { type: 'node-proxies', pods: proxies });
    if (this.#identities !== undefined) {
      this.#send(worker, { type: 'identities', update: this.#identities.source.shared() });
    }
    if (this.#inputs !== undefined) {
      this.#send(worker, {
        type: 'inputs',
        seq: this.#seq,
        delta: diffInputs(undefined, this.#inputs),
        synced: this.#synced,
      });
    }
    slot.started = true;
    this.#log.info('worker started', { worker: slot.index, pid: worker.process.pid });
  }

  #heard(slot: Slot, message: Exclude<FromWorker, { type: 'loaded' | 'started' }>): void {
    if (message.type === 'applied') {
      slot.applied = message.seq;
      slot.version = message.version;
      slot.ready = message.ready;
      slot.reason = message.reason;
    }
  }

  #died(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.started = false;
    this.#retire(slot);
    if (this.#stopping) return;
    const lived = performance.now() - slot.forkedAt;
    slot.deaths = lived >= STABLE_MS ? 1 : slot.deaths + 1;
    const delay = this.#backoff(slot.deaths);
    this.#log.error('worker died; restarting', { worker: slot.index, code, signal, restartInMs: delay });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.#stopping) void this.#fork(slot);
    }, delay);
  }

  /** Keeps a dead worker's counters and histograms (not its gauges: what it held open is gone). */
  #retire(slot: Slot): void {
    const kept = (slot.lastFamilies ?? []).filter((f) => f.type !== 'gauge');
    if (kept.length > 0) this.#retired = mergeFamilies([this.#retired, kept]);
    slot.lastFamilies = undefined;
  }

  /** Sends a worker a question and waits for its answer (undefined: none in time, or the worker died). */
  #ask<T>(
    slot: Slot,
    timeoutMs: number,
    question: (id: number) => ToWorker,
    answerOf: (message: FromWorker & { readonly id: number }) => T | undefined,
  ): Promise<T | undefined> {
    const { worker } = slot;
    if (worker === undefined) return Promise.resolve(undefined);
    const id = ++this.#requests;
    return new Promise((resolve) => {
      const done = (answer: T | undefined) => {
        clearTimeout(timer);
        worker.off('message', listen);
        worker.off('exit', gone);
        resolve(answer);
      };
      const listen = (message: unknown) => {
        if (!isFromWorker(message) || !('id' in message) || message.id !== id) return;
        const answer = answerOf(message);
        if (answer !== undefined) done(answer);
      };
      const gone = () => done(undefined);
      const timer = setTimeout(() => done(undefined), timeoutMs);
      worker.on('message', listen);
      worker.once('exit', gone);
      this.#send(worker, question(id));
    });
  }

  #broadcast(message: ToWorker): void {
    for (const slot of this.#slots) {
      if (slot.started && slot.worker !== undefined) this.#send(slot.worker, message);
    }
  }

  #send(worker: Worker, message: ToWorker): void {
    if (worker.isDead() || !worker.isConnected()) return;
    worker.send(message, undefined, (error: Error | null) => {
      if (error !== null && !this.#stopping) {
        this.#log.warn('could not reach a worker', { pid: worker.process.pid, error: error.message });
      }
    });
  }
}

function emptyInputs(): TopologyInputs {
  return {
    meshDomain: 'mesh',
    services: new Map(),
    endpoints: new Map(),
    trafficSplits: [],
    httpRouteGroups: new Map(),
  };
}
