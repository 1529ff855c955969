/**
 * The node-proxy wired to the API server: informers feed change trackers, one sync runner drains them into
 * the input assembler and applies the result to the NodeProxy. Nothing is applied before every informer has
 * synced (an SMI kind whose CRD is not installed counts as synced and empty); then the first sync marks the
 * proxy ready. Invalid resources and snapshot problems become log lines and Warning Events.
 */
import {
  type Backoff,
  ChangeTracker,
  EventRecorder,
  type EventSink,
  type InformerState,
  type KubeConnection,
  kubeEventSink,
  type Logger,
  type LogLevel,
  loadKubeConfig,
  OptionalCollection,
  ResourceInformer,
  SyncRunner,
  selectFields,
  silentLogger,
  withoutBookkeeping,
} from '@nodemesh/kube-runtime';
import {
  DEFAULT_MESH_DOMAIN,
  DEFAULT_MESH_NAMESPACE,
  DEFAULT_NODE_PROXY_SERVICE_ACCOUNT,
  DEFAULT_TCP_PORT_RANGE,
  DEFAULT_UDP_PORT_RANGE,
  GATEWAY_KINDS,
  type GatewayKind,
  gatewayCollectionPaths,
  issuerServerName,
  type MtlsMode,
  type PortRange,
  shadowListSelector,
  TRUST_BUNDLE_CONFIG_MAP,
} from '@nodemesh/smi-types';
import type { DataPlane } from '../data-plane.js';
import { IssuerClient } from '../identity/issuer-client.js';
import { WorkloadIdentities } from '../identity/workload-identities.js';
import { NodeProxy, type NodeProxyOptions } from '../node-proxy.js';
import type { Problem } from '../snapshot/snapshot.js';
import type { CallerTunnelOptions } from '../tunnel/caller-tunnel.js';
import type { TunnelSettings } from '../tunnel/inbound-tunnel.js';
import { NODE_PROXY_POD_FIELDS, NODE_PROXY_POD_SELECTOR } from '../tunnel/node-proxy-directory.js';
import { DEFAULT_TUNNEL_PORT } from '../tunnel/tunnel-server.js';
import { NodeProxyPrimary, type NodeProxyPrimaryOptions } from '../workers/node-proxy-primary.js';
import { registerInformerMetrics } from './informer-metrics.js';
import { InputAssembler, type InputChanges } from './input-assembler.js';
import { POD_CALLER_FIELDS, PodCallerIndex } from './pod-callers.js';
import { problemObject } from './problem-object.js';
import type { Rejection } from './rejection.js';
import { SMI_COLLECTIONS, type SmiKind, smiCollectionPath } from './smi-kinds.js';

/** The policy flags of `nodemesh-proxy run`. */
export interface PolicyFlags {
  /** SMI access control: deny traffic no TrafficTarget allows. */
  readonly accessControl: boolean;
  /** OTLP/HTTP traces; absent: tracing off. */
  readonly tracing?: { readonly endpoint: string; readonly sampleRatio: number };
}

function policyOptions(flags: PolicyFlags): Pick<NodeProxyOptions, 'accessControl' | 'tracing'> {
  return {
    accessControl: flags.accessControl,
    ...(flags.tracing === undefined ? {} : { tracing: flags.tracing }),
  };
}

export interface StartNodeProxyOptions {
  /** How to reach the API server: a plain URL (`--server`), a kubeconfig file, else in-cluster. */
  readonly server?: string;
  readonly kubeconfig?: string;
  /** A ready connection (client-node's KubeConfig is one) instead; wins over `server` and `kubeconfig`. */
  readonly kubeConfig?: KubeConnection;
  /** The node this proxy serves: only its pods are callers. */
  readonly nodeName: string;
  readonly meshNamespace?: string;
  readonly meshDomain?: string;
  /** Where traffic listeners bind (default 127.0.0.1; the binary's default is 0.0.0.0). */
  readonly listenHost?: string;
  readonly adminHost?: string;
  readonly adminPort?: number;
  /** The debug listener on 127.0.0.1 (`NodeProxyOptions.debugPort`; default: none). */
  readonly debugPort?: number | false;
  /** HTTP entrypoints 5000 … 5000+N-1 (default 10). */
  readonly httpEntrypoints?: number;
  readonly tcpPorts?: PortRange;
  readonly udpPorts?: PortRange;
  readonly policyFlags?: PolicyFlags;
  readonly logger?: Logger;
  /** Further NodeProxy options (tests: `bindPort`, `drainMs`, `random`, timeouts). */
  readonly proxy?: Omit<
    NodeProxyOptions,
    'listenHost' | 'adminHost' | 'adminPort' | 'debugPort' | 'callers' | 'logger'
  >;
  /** Least time between two syncs (default 50 ms): a burst of changes becomes one snapshot. */
  readonly syncMinIntervalMs?: number;
  /** A sync at least this often even without changes, retrying failed listeners (default 30 s). */
  readonly resyncIntervalMs?: number;
  /** How often an SMI kind found not served is looked for again (default 30 s). */
  readonly crdProbeIntervalMs?: number;
  /** Restart delays of the informers (default 1 s doubling to 30 s). */
  readonly informerBackoff?: Backoff;
  /** Where Events go (default: core/v1 Events through the API server). */
  readonly eventSink?: EventSink;
  /** Workload identity (docs/identity.md): certificates for the ServiceAccounts of this node's pods. */
  readonly identity?: IdentityOptions;
  /** The mTLS mode of a Service whose shadow names none (`--mtls-mode`; default permissive). */
  readonly mtlsMode?: MtlsMode;
  /**
   * The port of every node proxy's tunnel server (`--tunnel-port`; 0: none; default 15008). This proxy serves
   * it on `listenHost` when `identity` is on (docs/mtls.md).
   */
  readonly tunnelPort?: number;
}

export interface IdentityOptions {
  /** The issuer, `https://host:port`; its certificate must name `nodemesh-identity.<mesh namespace>.svc`. */
  readonly issuerUrl: string;
  /** The projected ServiceAccount token (audience nodemesh-identity), re-read for every request. */
  readonly tokenFile: string;
  readonly trustDomain: string;
  /** Retry delays after a failed request (default 1 s doubling to 60 s). */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Renewals for a new issuer are spread over this long (default 5 s). */
  readonly rotationSpreadMs?: number;
}

/** A running control loop and the data plane it drives. */
export interface RunningControlLoop<P extends DataPlane> {
  readonly proxy: P;
  /** The callers of this node, from its pods. */
  readonly callers: PodCallerIndex;
  /** Resolves once the first complete sync has been applied. */
  readonly synced: Promise<void>;
  /**
   * This node's workload certificates, when identity is on: held by the control loop (with workers, by the
   * primary, which hands them to every worker).
   */
  readonly identities: WorkloadIdentities | undefined;
  /** Health of every watch. */
  informers(): InformerState[];
  /** Stops the watches, then drains and closes the listeners. */
  stop(): Promise<void>;
}

export type RunningNodeProxy = RunningControlLoop<NodeProxy>;

/** Options of a node-proxy whose traffic is served by `workers` worker processes. */
export interface StartNodeProxyFleetOptions extends Omit<StartNodeProxyOptions, 'proxy'> {
  readonly workers: number;
  /** Log level of the workers (they log on the same stderr). */
  readonly logLevel?: LogLevel;
  /** Further worker settings (tests: `bindPorts`, `drainMs`) and fleet timings. */
  readonly worker?: Partial<NodeProxyPrimaryOptions['settings']>;
  readonly fleet?: NodeProxyPrimaryOptions['fleet'];
}

/** Component name on Events. */
const EVENT_COMPONENT = 'nodemesh-proxy';

/** Starts a node-proxy that follows the API server. Throws only when the kube config cannot be loaded. */
export async function startNodeProxy(options: StartNodeProxyOptions): Promise<RunningNodeProxy> {
  const log = options.logger ?? silentLogger;
  const config = await resolveConfig(options, log);
  const callers = new PodCallerIndex();
  const tunnel = tunnelSettings(options);
  const proxy = new NodeProxy({
    ...options.proxy,
    ...(tunnel === undefined ? {} : { tunnel: { settings: tunnel, pods: callers } }),
    ...(options.listenHost === undefined ? {} : { listenHost: options.listenHost }),
    ...(options.adminHost === undefined ? {} : { adminHost: options.adminHost }),
    ...(options.adminPort === undefined ? {} : { adminPort: options.adminPort }),
    ...(options.debugPort === undefined ? {} : { debugPort: options.debugPort }),
    ...(options.policyFlags === undefined ? {} : policyOptions(options.policyFlags)),
    mtls: callerTunnelOptions(options),
    callers,
    logger: log,
  });
  return runControlLoop(options, config, log, proxy, callers);
}

/**
 * Starts a node-proxy whose traffic is served by `workers` worker processes on the same ports, fed by this
 * process: the node's one control loop (one set of watches, whatever the number of workers).
 */
export async function startNodeProxyFleet(
  options: StartNodeProxyFleetOptions,
): Promise<RunningControlLoop<NodeProxyPrimary>> {
  const log = options.logger ?? silentLogger;
  const config = await resolveConfig(options, log);
  const callers = new PodCallerIndex();
  const tunnel = tunnelSettings(options);
  const primary = new NodeProxyPrimary({
    workers: options.workers,
    settings: {
      listenHost: options.listenHost ?? '127.0.0.1',
      logLevel: options.logLevel ?? 'info',
      ...(options.policyFlags === undefined ? {} : policyOptions(options.policyFlags)),
      ...(tunnel === undefined ? {} : { tunnel }),
      mtls: callerTunnelOptions(options),
      ...options.worker,
    },
    callers,
    adminHost: options.adminHost ?? '127.0.0.1',
    adminPort: options.adminPort ?? 9090,
    ...(options.debugPort === undefined ? {} : { debugPort: options.debugPort }),
    logger: log,
    ...(options.fleet === undefined ? {} : { fleet: options.fleet }),
  });
  return runControlLoop(options, config, log, primary, callers);
}

/**
 * The control loop: informers feed change trackers, one sync runner drains them into the input assembler
 * and applies the result to the data plane.
 */
async function runControlLoop<P extends DataPlane>(
  options: Omit<StartNodeProxyOptions, 'proxy'>,
  config: KubeConnection,
  log: Logger,
  proxy: P,
  callers: PodCallerIndex,
): Promise<RunningControlLoop<P>> {
  const meshNamespace = options.meshNamespace ?? DEFAULT_MESH_NAMESPACE;
  const backoff = options.informerBackoff === undefined ? {} : { backoff: options.informerBackoff };

  const recorder = new EventRecorder({
    sink: options.eventSink ?? kubeEventSink(config),
    component: EVENT_COMPONENT,
    host: options.nodeName,
    logger: log,
  });
  const identities =
    options.identity === undefined
      ? undefined
      : startIdentities(options.identity, options.nodeName, meshNamespace, recorder, log, proxy);
  // The tunnel server presents the node proxies' own identity.
  const tunnel = tunnelSettings(options);
  if (tunnel !== undefined) identities?.hold(tunnel.namespace, tunnel.serviceAccount);
  const assembler = new InputAssembler({
    meshDomain: options.meshDomain ?? DEFAULT_MESH_DOMAIN,
    meshNamespace,
    httpEntrypoints: options.httpEntrypoints ?? 10,
    tcpPorts: options.tcpPorts ?? DEFAULT_TCP_PORT_RANGE,
    udpPorts: options.udpPorts ?? DEFAULT_UDP_PORT_RANGE,
    onRejected: (rejection) => reportRejection(rejection, log, recorder),
    ...(options.mtlsMode === undefined ? {} : { mtlsMode: options.mtlsMode }),
  });

  const trackers = {
    services: new ChangeTracker<unknown>(),
    shadows: new ChangeTracker<unknown>(),
    endpointSlices: new ChangeTracker<unknown>(),
  };
  const smiTrackers = new Map<SmiKind, ChangeTracker<unknown>>(
    SMI_COLLECTIONS.map((c) => [c.kind, new ChangeTracker<unknown>()]),
  );
  const gatewayTrackers = new Map<GatewayKind, ChangeTracker<unknown>>(
    GATEWAY_KINDS.map((k) => [k.kind, new ChangeTracker<unknown>()]),
  );

  let resolveSynced: () => void = () => undefined;
  const synced = new Promise<void>((resolve) => {
    resolveSynced = resolve;
  });
  let firstSyncDone = false;
  let dirty = true;
  let knownProblems = new Set<string>();

  const runner = new SyncRunner({
    name: 'routing-snapshot',
    minIntervalMs: options.syncMinIntervalMs ?? 50,
    maxIntervalMs: options.resyncIntervalMs ?? 30_000,
    logger: log,
    sync: async () => {
      const changes: InputChanges = {
        services: trackers.services.drain(),
        shadows: trackers.shadows.drain(),
        endpointSlices: trackers.endpointSlices.drain(),
        smi: Object.fromEntries([...smiTrackers].map(([kind, tracker]) => [kind, tracker.drain()])),
        gateway: Object.fromEntries([...gatewayTrackers].map(([kind, tracker]) => [kind, tracker.drain()])),
      };
      const changed =
        changes.services?.size !== 0 ||
        changes.shadows?.size !== 0 ||
        changes.endpointSlices?.size !== 0 ||
        Object.values(changes.smi ?? {}).some((c) => c.size > 0) ||
        Object.values(changes.gateway ?? {}).some((c) => c.size > 0);
      assembler.apply(changes);
      // Stays set until a build succeeds, so a failed run is retried with the whole current state.
      dirty ||= changed;
      if (dirty) {
        const snapshot = await proxy.applyInputs(assembler.inputs());
        dirty = false;
        knownProblems = reportProblems(snapshot.problems, knownProblems, recorder);
      } else {
        // Nothing new: re-apply the snapshot so listeners that failed to open are retried.
        await proxy.resync();
      }
      if (!firstSyncDone) {
        firstSyncDone = true;
        proxy.markSynced();
        log.info('first sync applied: routing', { version: proxy.snapshot.version });
        resolveSynced();
      }
    },
  });

  const requestSync = (pending: boolean) => {
    if (pending) runner.run();
  };
  const tracked = (tracker: ChangeTracker<unknown>) => ({
    onAdd: (obj: unknown) => requestSync(tracker.add(obj)),
    onUpdate: (obj: unknown, previous: unknown) => requestSync(tracker.update(previous, obj)),
    onDelete: (obj: unknown) => requestSync(tracker.delete(obj)),
    onSynced: () => maybeStartRunner(),
  });

  const informerLog = log.child({ part: 'informer' });
  const required: ResourceInformer[] = [
    new ResourceInformer({
      name: 'services',
      config,
      path: '/api/v1/services',
      handlers: tracked(trackers.services),
      transform: withoutBookkeeping,
      logger: informerLog,
      ...backoff,
    }),
    new ResourceInformer({
      name: 'shadow-services',
      config,
      path: `/api/v1/namespaces/${encodeURIComponent(meshNamespace)}/services`,
      labelSelector: shadowListSelector(),
      handlers: tracked(trackers.shadows),
      transform: withoutBookkeeping,
      logger: informerLog,
      ...backoff,
    }),
    new ResourceInformer({
      name: 'endpointslices',
      config,
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      handlers: tracked(trackers.endpointSlices),
      transform: withoutBookkeeping,
      logger: informerLog,
      ...backoff,
    }),
    new ResourceInformer({
      name: 'pods',
      config,
      path: '/api/v1/pods',
      fieldSelector: `spec.nodeName=${options.nodeName}`,
      transform: selectFields(POD_CALLER_FIELDS),
      handlers: {
        onAdd: (obj) => {
          callers.upsert(obj);
          identities?.podChanged(obj);
        },
        onUpdate: (obj) => {
          callers.upsert(obj);
          identities?.podChanged(obj);
        },
        onDelete: (obj) => {
          callers.delete(obj);
          identities?.podDeleted(obj);
        },
        onSynced: () => maybeStartRunner(),
      },
      logger: informerLog,
      ...backoff,
    }),
  ];
  // SMI and Gateway API kinds are custom resources: either may not be installed, the latter in one of
  // several versions (the first one served is watched).
  const customCollections = [
    ...SMI_COLLECTIONS.map((c) => ({
      name: c.plural,
      paths: [smiCollectionPath(c)],
      tracker: smiTrackers.get(c.kind),
    })),
    ...GATEWAY_KINDS.map((k) => ({
      name: `${k.plural}.${k.group}`,
      paths: gatewayCollectionPaths(k),
      tracker: gatewayTrackers.get(k.kind),
    })),
  ];
  const optional = customCollections.map((collection) => {
    const tracker = collection.tracker ?? new ChangeTracker<unknown>();
    return new OptionalCollection({
      config,
      name: collection.name,
      paths: collection.paths,
      probeIntervalMs: options.crdProbeIntervalMs ?? 30_000,
      logger: informerLog,
      onSettled: () => maybeStartRunner(),
      informer: (path) =>
        new ResourceInformer({
          name: collection.name,
          config,
          path,
          handlers: tracked(tracker),
          transform: withoutBookkeeping,
          logger: informerLog,
          ...backoff,
        }),
    });
  });

  let runnerStarted = false;
  function maybeStartRunner(): void {
    if (runnerStarted) return;
    if (!required.every((i) => i.hasSynced()) || !optional.every((o) => o.settled())) return;
    runnerStarted = true;
    log.info('every informer has synced: applying', {
      absent: optional.filter((o) => o.absent()).map((o) => o.state().name),
    });
    runner.start();
  }

  // The trust bundle, by name (RBAC grants that name alone). Not needed to route, so not waited for.
  const trustBundleInformer =
    identities === undefined
      ? undefined
      : new ResourceInformer({
          name: 'trust-bundle',
          config,
          path: `/api/v1/namespaces/${encodeURIComponent(meshNamespace)}/configmaps`,
          fieldSelector: `metadata.name=${TRUST_BUNDLE_CONFIG_MAP}`,
          handlers: {
            onAdd: (obj) => identities.setTrustBundle(obj),
            onUpdate: (obj) => identities.setTrustBundle(obj),
          },
          transform: withoutBookkeeping,
          logger: informerLog,
          ...backoff,
        });

  // The node proxies of the cluster: where the tunnel reaches a pod's node. Not needed to route, so not
  // waited for (until it has synced, calls to other nodes cannot use the tunnel: docs/mtls.md).
  const nodeProxiesInformer = new ResourceInformer({
    name: 'node-proxies',
    config,
    path: `/api/v1/namespaces/${encodeURIComponent(meshNamespace)}/pods`,
    labelSelector: NODE_PROXY_POD_SELECTOR,
    transform: selectFields(NODE_PROXY_POD_FIELDS),
    handlers: {
      onAdd: (obj) => proxy.nodeProxies.upsert(obj),
      onUpdate: (obj) => proxy.nodeProxies.upsert(obj),
      onDelete: (obj) => proxy.nodeProxies.delete(obj),
    },
    logger: informerLog,
    ...backoff,
  });

  const informers = (): InformerState[] => [
    ...required.map((i) => i.state()),
    nodeProxiesInformer.state(),
    ...optional.map((o) => o.state()),
    ...(trustBundleInformer === undefined ? [] : [trustBundleInformer.state()]),
  ];
  registerInformerMetrics(proxy.metrics.registry, informers);

  await proxy.start();
  for (const informer of required) informer.start();
  for (const collection of optional) collection.start();
  trustBundleInformer?.start();
  nodeProxiesInformer.start();
  log.info('node-proxy started', {
    node: options.nodeName,
    meshNamespace,
    adminPort: proxy.adminPort(),
    debugPort: proxy.debugPort() ?? 'off',
  });

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    await Promise.all([
      ...required.map((i) => i.stop()),
      ...optional.map((o) => o.stop()),
      trustBundleInformer?.stop(),
      nodeProxiesInformer.stop(),
    ]);
    identities?.stop();
    await runner.stop();
    await proxy.stop();
    // Events still in flight get a moment, not a veto over exiting.
    await Promise.race([recorder.flush(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  };
  return {
    proxy,
    callers,
    synced,
    identities,
    informers,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}

/** The tunnel server's settings: with workload identity on and a tunnel port. */
function tunnelSettings(options: Omit<StartNodeProxyOptions, 'proxy'>): TunnelSettings | undefined {
  if (options.identity === undefined || options.tunnelPort === undefined || options.tunnelPort === 0) {
    return undefined;
  }
  return {
    port: options.tunnelPort,
    trustDomain: options.identity.trustDomain,
    namespace: options.meshNamespace ?? DEFAULT_MESH_NAMESPACE,
    serviceAccount: DEFAULT_NODE_PROXY_SERVICE_ACCOUNT,
  };
}

/**
 * The caller side of the tunnel (docs/mtls.md): this node, the tunnel port, and, with workload identity on,
 * the identity every node proxy presents (their ServiceAccount in the mesh namespace).
 */
function callerTunnelOptions(options: Omit<StartNodeProxyOptions, 'proxy'>): CallerTunnelOptions {
  const identity = options.identity;
  return {
    nodeName: options.nodeName,
    tunnelPort: options.tunnelPort ?? DEFAULT_TUNNEL_PORT,
    ...(identity === undefined
      ? {}
      : {
          serverIdentity: {
            trustDomain: identity.trustDomain,
            namespace: options.meshNamespace ?? DEFAULT_MESH_NAMESPACE,
            serviceAccount: DEFAULT_NODE_PROXY_SERVICE_ACCOUNT,
          },
        }),
  };
}

async function resolveConfig(
  options: Omit<StartNodeProxyOptions, 'proxy'>,
  log: Logger,
): Promise<KubeConnection> {
  if (options.kubeConfig !== undefined) return options.kubeConfig;
  const loaded = await loadKubeConfig({
    ...(options.server === undefined ? {} : { server: options.server }),
    ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
  });
  log.info('API server', { source: loaded.source, server: loaded.server });
  return loaded.config;
}

/**
 * The node's workload identities: certificates asked for, renewed and dropped here, in the control loop, with
 * metrics on the data plane's registry; the data plane uses them (each worker gets them, with workers).
 */
function startIdentities(
  identity: IdentityOptions,
  nodeName: string,
  meshNamespace: string,
  recorder: EventRecorder,
  log: Logger,
  proxy: DataPlane,
): WorkloadIdentities {
  const identities = new WorkloadIdentities({
    trustDomain: identity.trustDomain,
    nodeName,
    client: new IssuerClient({
      url: identity.issuerUrl,
      serverName: issuerServerName(meshNamespace),
      tokenFile: identity.tokenFile,
    }),
    events: recorder,
    logger: log.child({ part: 'identity' }),
    registry: proxy.metrics.registry,
    ...(identity.retryInitialMs === undefined ? {} : { retryInitialMs: identity.retryInitialMs }),
    ...(identity.retryMaxMs === undefined ? {} : { retryMaxMs: identity.retryMaxMs }),
    ...(identity.rotationSpreadMs === undefined ? {} : { rotationSpreadMs: identity.rotationSpreadMs }),
  });
  proxy.useIdentities(identities);
  return identities;
}

function reportRejection(rejection: Rejection, log: Logger, recorder: EventRecorder): void {
  const { object } = rejection;
  log.warn(`${object.kind} ${object.namespace}/${object.name} is invalid`, {
    reason: rejection.reason,
    problem: rejection.message,
  });
  recorder.record(object, 'Warning', rejection.reason, rejection.message);
}

/**
 * A Warning Event for each snapshot problem that is new since the last snapshot (NodeProxy logs them).
 * Returns the keys of the current problems.
 */
function reportProblems(problems: readonly Problem[], known: ReadonlySet<string>, recorder: EventRecorder) {
  const current = new Set<string>();
  for (const problem of problems) {
    const key = `${problem.kind}/${problem.namespace}/${problem.name}/${problem.reason}/${problem.message}`;
    current.add(key);
    if (known.has(key)) continue;
    const object = problemObject(problem);
    recorder.record(object, 'Warning', problem.reason, problem.message);
  }
  return current;
}
