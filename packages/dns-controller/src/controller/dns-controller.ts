/**
 * `startDnsController`: wires the informers, the zone, the DNS server, leader election, the two leader-only
 * reconcilers and the admin server. Every replica watches and answers DNS; only the lease holder writes.
 */
import { hostname } from 'node:os';
import {
  ChangeTracker,
  createLogger,
  EventRecorder,
  type EventSink,
  type InformerHandlers,
  type KubeConnection,
  kubeEventSink,
  kubeLeaseClient,
  LeaderElector,
  type LeaseClient,
  type Logger,
  OptionalCollection,
  objectKey,
  ResourceInformer,
  SyncRunner,
  selectFields,
} from '@nodemesh/kube-runtime';
import { MetricsRegistry } from '@nodemesh/kube-runtime/metrics';
import {
  DEFAULT_MESH_DEFAULTS,
  GATEWAY_KINDS,
  type GatewayKind,
  gatewayCollectionPaths,
  shadowListSelector,
} from '@nodemesh/smi-types';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ClusterDnsReconciler } from '../cluster-dns-sync/cluster-dns-reconciler.js';
import { CLUSTER_DNS_CONFIG_MAPS, CLUSTER_DNS_NAMESPACE } from '../cluster-dns-sync/config-maps.js';
import { type ControllerConfig, DEFAULT_CONTROLLER_CONFIG } from '../config/controller-config.js';
import { type ListeningAddress, MeshDnsServer } from '../dns/server.js';
import { MeshZone } from '../dns/zone.js';
import { IdentityRole } from '../identity/identity-role.js';
import { configMapPath, kubeApi, secretPath, servicePath } from '../kube/kube-api.js';
import { NAMESPACE_MTLS_FIELDS, readNamespaceMtls } from '../namespaces/namespace-mtls.js';
import { NetworkPolicyReconciler } from '../network-policies/network-policy-reconciler.js';
import { networkPolicyPath, strictPolicySelector } from '../network-policies/strict-policy.js';
import { POD_VIEW_FIELDS, readPodView } from '../pods/pod-view.js';
import { ServiceAccountIndex } from '../pods/service-account-index.js';
import { RouteStatusWriter } from '../route-status/route-status-writer.js';
import { ShadowReconciler } from '../shadows/shadow-reconciler.js';
import { ZoneAdapter } from '../zone-adapter/zone-adapter.js';
import { type AdminServer, startAdminServer } from './admin-server.js';
import { registerBuildInfo } from './build-info.js';
import { createControllerMetrics, measured } from './controller-metrics.js';

export interface DnsControllerOptions extends Partial<Omit<ControllerConfig, 'server' | 'kubeconfig'>> {
  /** How to reach the API server (`loadKubeConfig` builds one from --server/--kubeconfig/in-cluster). */
  readonly kubeConfig: KubeConnection;
  /** The Lease holder identity; default POD_NAME, else `<hostname>-<pid>`. Unique per replica. */
  readonly identity?: string;
  readonly logger?: Logger;
  /** Where metrics go; default a fresh registry with the process metrics. */
  readonly registry?: Registry;
  /** Start the admin HTTP server (default true). */
  readonly admin?: boolean;
  /** Shortest time between two reconcile runs (bursts coalesce); default 500 ms. */
  readonly syncMinIntervalMs?: number;
  /** A reconcile runs at least this often; default 60 s. */
  readonly resyncIntervalMs?: number;
  /** Overrides for tests: where Events and the Lease go (default: the API server). */
  readonly eventSink?: EventSink;
  readonly leaseClient?: LeaseClient;
  /** How often a Gateway API kind found not served is looked for again (default 30 s). */
  readonly crdProbeIntervalMs?: number;
}

export interface DnsController {
  readonly identity: string;
  /** The identity role (mesh CA and certificate issuer), when `--identity` is on. */
  readonly issuer: IdentityRole | undefined;
  readonly zone: MeshZone;
  readonly registry: Registry;
  /** Where the DNS server listens (UDP and TCP). */
  readonly dns: ListeningAddress;
  readonly admin: { readonly host: string; readonly port: number } | undefined;
  isLeader(): boolean;
  /** Why the controller cannot answer DNS yet (shadow informer not synced, DNS not listening); empty when ready. */
  notReady(): string[];
  /** Stops writing (reconcilers first), releases the lease, closes DNS and the admin server. */
  stop(): Promise<void>;
}

interface LeaderWork {
  /** Each runner with the informers it needs synced before its first run. */
  readonly runners: { readonly runner: SyncRunner; readonly needs: readonly ResourceInformer[] }[];
  readonly shadowRunner: SyncRunner;
  readonly dnsRunner: SyncRunner | undefined;
  readonly identityRunner: SyncRunner | undefined;
  /** Pods are watched by the leader alone: standbys need not hold every pod of the cluster. */
  readonly podInformer: ResourceInformer;
  /** Namespaces (their mTLS annotation only), also the leader's alone. */
  readonly namespaceInformer: ResourceInformer;
  /** The strict-mode NetworkPolicies the dns-controller manages (by label), and their runner. */
  readonly policyInformer: ResourceInformer;
  readonly policyRunner: SyncRunner;
  /** Gateway API routes and ReferenceGrants (leader only; their CRDs may be absent). */
  readonly routeStatus: RouteStatusWork;
}

interface RouteStatusWork {
  readonly runner: SyncRunner;
  readonly collections: readonly OptionalCollection[];
}

export async function startDnsController(options: DnsControllerOptions): Promise<DnsController> {
  const config: ControllerConfig = {
    ...DEFAULT_CONTROLLER_CONFIG,
    ...options,
    server: undefined,
    kubeconfig: undefined,
  };
  const identity = options.identity ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`;
  const logger = (
    options.logger ?? createLogger({ component: 'dns-controller', level: config.logLevel })
  ).child({
    identity,
  });
  const registry = options.registry ?? new Registry();
  if (options.registry === undefined) collectDefaultMetrics({ register: registry });
  registerBuildInfo(registry);
  /** The DNS server's per-query metrics, as cells outside prom-client; /metrics appends them. */
  const dnsMetrics = new MetricsRegistry();
  const kubeConfig = options.kubeConfig;
  const api = kubeApi(kubeConfig);
  const zone = new MeshZone(config.meshDomain);
  const clusterDnsMode = config.clusterDns;

  let stopping = false;
  let leaderWork: LeaderWork | undefined;
  let leaderWorkStopped: Promise<void> = Promise.resolve();
  const shadowChanges = new ChangeTracker<unknown>();
  const serviceChanges = new ChangeTracker<unknown>();
  const dnsChanges = new ChangeTracker<unknown>();
  const requestShadowSync = () => leaderWork?.shadowRunner.run();
  const requestPolicySync = () => leaderWork?.policyRunner.run();
  const requestRouteSync = () => leaderWork?.routeStatus.runner.run();
  const requestDnsSync = () => leaderWork?.dnsRunner?.run();
  const requestIdentitySync = () => leaderWork?.identityRunner?.run();

  const informers: ResourceInformer[] = [];
  const informer = (name: string, path: string, handlers: InformerHandlers, selectors = {}) => {
    const created = new ResourceInformer({
      name,
      config: kubeConfig,
      path,
      ...selectors,
      logger,
      handlers: { ...handlers, onSynced: () => startRunnersWhenSynced() },
    });
    informers.push(created);
    return created;
  };
  /** Informer handlers feeding a change tracker, asking for a sync when something is pending. */
  const tracked = (tracker: ChangeTracker<unknown>, request: () => void) => ({
    onAdd: (obj: unknown) => tracker.add(obj) && request(),
    onUpdate: (obj: unknown, previous: unknown) => tracker.update(previous, obj) && request(),
    onDelete: (obj: unknown) => tracker.delete(obj) && request(),
  });

  const zoneAdapter = new ZoneAdapter(zone, logger.child({ part: 'zone' }));
  const shadowHandlers = tracked(shadowChanges, requestShadowSync);
  const shadowInformer = informer(
    'shadow-services',
    servicePath(config.meshNamespace),
    {
      onAdd: (obj) => {
        zoneAdapter.onAdd(obj);
        shadowHandlers.onAdd(obj);
        requestPolicySync();
      },
      onUpdate: (obj, previous) => {
        zoneAdapter.onUpdate(obj, previous);
        shadowHandlers.onUpdate(obj, previous);
        requestPolicySync();
      },
      onDelete: (obj) => {
        zoneAdapter.onDelete(obj);
        shadowHandlers.onDelete(obj);
        requestPolicySync();
      },
    },
    { labelSelector: shadowListSelector() },
  );
  const serviceInformer = informer(
    'services',
    '/api/v1/services',
    tracked(serviceChanges, () => {
      requestShadowSync();
      requestRouteSync();
      requestPolicySync();
    }),
  );
  // One informer per ConfigMap, selected by name: RBAC can then grant list/watch on those names alone.
  const configMapInformers: ResourceInformer[] = [];
  let dnsServiceInformer: ResourceInformer | undefined;
  if (clusterDnsMode !== 'none') {
    for (const name of CLUSTER_DNS_CONFIG_MAPS) {
      configMapInformers.push(
        informer(
          `configmap-${name}`,
          configMapPath(CLUSTER_DNS_NAMESPACE),
          tracked(dnsChanges, requestDnsSync),
          {
            fieldSelector: `metadata.name=${name}`,
          },
        ),
      );
    }
    dnsServiceInformer = informer(
      'dns-service',
      servicePath(config.meshNamespace),
      tracked(dnsChanges, requestDnsSync),
      { fieldSelector: `metadata.name=${config.dnsService}` },
    );
  }

  // The identity role: one informer on the issuer Secret, by name (RBAC grants that name alone).
  let issuer: IdentityRole | undefined;
  const issuerSecretInformer = config.identityRole
    ? informer(
        'identity-issuer-secret',
        secretPath(config.meshNamespace),
        {
          onAdd: () => issuer?.secretChanged(),
          onUpdate: () => issuer?.secretChanged(),
          onDelete: () => issuer?.secretChanged(),
        },
        { fieldSelector: `metadata.name=${config.identitySettings.issuerSecret}` },
      )
    : undefined;

  const dnsServer = new MeshDnsServer({
    zone,
    host: config.dnsHost,
    port: config.dnsPort,
    registry: dnsMetrics,
    resolver: { ttl: config.dnsTtlSeconds },
    onError: (message) => logger.warn('dns server', { error: message }),
  });

  let elector: LeaderElector | undefined;
  const metrics = createControllerMetrics(registry, {
    isLeader: () => elector?.isLeader() ?? false,
    informers: () => [
      ...informers.map((i) => i.state()),
      ...(leaderWork
        ? [
            leaderWork.podInformer.state(),
            leaderWork.namespaceInformer.state(),
            leaderWork.policyInformer.state(),
            ...leaderWork.routeStatus.collections.map((c) => c.state()),
          ]
        : []),
    ],
    shadowServices: () => shadowInformer.state().objects,
    zoneRecords: () => zone.size,
    tcpRange: config.tcpPorts,
    udpRange: config.udpPorts,
  });
  const events = new EventRecorder({
    sink: options.eventSink ?? kubeEventSink(kubeConfig),
    component: 'nodemesh-dns-controller',
    host: identity,
    logger,
  });
  if (issuerSecretInformer !== undefined) {
    issuer = new IdentityRole({
      settings: config.identitySettings,
      meshNamespace: config.meshNamespace,
      api: kubeApi(kubeConfig, 10_000),
      events,
      logger: logger.child({ role: 'identity' }),
      registry,
      secret: () => issuerSecretInformer.objects()[0],
      requestSync: requestIdentitySync,
    });
  }

  const runnerOptions = (name: string) => ({
    name,
    minIntervalMs: options.syncMinIntervalMs ?? 500,
    maxIntervalMs: Math.max(options.resyncIntervalMs ?? 60_000, options.syncMinIntervalMs ?? 500),
    logger,
  });

  /**
   * The leader's pods informer, feeding the ServiceAccount index. Only changes to what the index keeps (a
   * pod's labels, ServiceAccount, finishing, coming or going) ask for a shadow sync; status updates do not.
   */
  function createPodInformer(index: ServiceAccountIndex): ResourceInformer {
    const changed = (obj: unknown, gone: boolean) => {
      const key = objectKey(obj);
      if (key !== undefined && index.set(key, gone ? undefined : readPodView(obj))) requestShadowSync();
    };
    return new ResourceInformer({
      name: 'pods',
      config: kubeConfig,
      path: '/api/v1/pods',
      // Every Pod of the cluster: only what the ServiceAccount index reads of each is kept.
      transform: selectFields(POD_VIEW_FIELDS),
      logger,
      handlers: {
        onAdd: (obj) => changed(obj, false),
        onUpdate: (obj) => changed(obj, false),
        onDelete: (obj) => changed(obj, true),
        onSynced: () => startRunnersWhenSynced(),
      },
    });
  }

  /**
   * The leader's namespaces informer: of each Namespace only its name and `nodemesh.io/mtls` annotation are
   * kept, and only a change of that annotation (or a Namespace coming or going) asks for a shadow sync.
   */
  function createNamespaceInformer(): ResourceInformer {
    const annotationOf = (obj: unknown) => JSON.stringify(readNamespaceMtls([obj]).values().next().value);
    return new ResourceInformer({
      name: 'namespaces',
      config: kubeConfig,
      path: '/api/v1/namespaces',
      transform: selectFields(NAMESPACE_MTLS_FIELDS),
      logger,
      handlers: {
        onAdd: () => requestShadowSync(),
        onUpdate: (obj, previous) => {
          if (annotationOf(obj) !== annotationOf(previous)) requestShadowSync();
        },
        onDelete: () => requestShadowSync(),
        onSynced: () => startRunnersWhenSynced(),
      },
    });
  }

  /** The leader's informer on the NetworkPolicies it manages (selected by label, in every namespace). */
  function createPolicyInformer(): ResourceInformer {
    return new ResourceInformer({
      name: 'strict-network-policies',
      config: kubeConfig,
      path: networkPolicyPath(),
      labelSelector: strictPolicySelector(),
      logger,
      handlers: {
        onAdd: () => requestPolicySync(),
        onUpdate: () => requestPolicySync(),
        onDelete: () => requestPolicySync(),
        onSynced: () => startRunnersWhenSynced(),
      },
    });
  }

  function startLeaderWork(): void {
    if (stopping || leaderWork !== undefined) return;
    const serviceAccounts = new ServiceAccountIndex();
    const podInformer = createPodInformer(serviceAccounts);
    const namespaceInformer = createNamespaceInformer();
    const policyInformer = createPolicyInformer();
    const policies = new NetworkPolicyReconciler({
      meshNamespace: config.meshNamespace,
      api,
      shadows: () => shadowInformer.objects(),
      userServices: () => serviceInformer.objects(),
      policies: () => policyInformer.objects(),
      events,
      logger: logger.child({ reconciler: 'strict-network-policies' }),
      requestSync: requestPolicySync,
    });
    const policyRunner = new SyncRunner({
      ...runnerOptions('strict-network-policies'),
      sync: () => measured(metrics, 'strict-network-policies', () => policies.sync()),
    });
    const shadows = new ShadowReconciler({
      config: {
        meshNamespace: config.meshNamespace,
        watchNamespaces: config.watchNamespaces,
        ignoreNamespaces: config.ignoreNamespaces,
        defaults: { ...DEFAULT_MESH_DEFAULTS, trafficType: config.defaultTrafficType },
        tcpRange: config.tcpPorts,
        udpRange: config.udpPorts,
        httpEntrypoints: config.httpEntrypoints,
        mtlsMode: config.mtlsMode,
      },
      api,
      userServices: () => serviceInformer.objects(),
      shadows: () => shadowInformer.objects(),
      namespaces: () => namespaceInformer.objects(),
      serviceAccountsOf: (namespace, selector) => serviceAccounts.serviceAccountsFor(namespace, selector),
      events,
      logger: logger.child({ reconciler: 'shadow-services' }),
      onWrite: (operation, result) => metrics.shadowWrites.inc({ operation, result }),
      onPlan: ({ allocations, servicesWithProblems }) => {
        metrics.recordAllocations(allocations);
        metrics.servicesWithProblems.set(servicesWithProblems);
      },
      requestSync: requestShadowSync,
    });
    const shadowRunner = new SyncRunner({
      ...runnerOptions('shadow-services'),
      sync: () =>
        measured(metrics, 'shadow-services', () => {
          shadowChanges.drain();
          serviceChanges.drain();
          return shadows.sync();
        }),
    });
    let dnsRunner: SyncRunner | undefined;
    if (clusterDnsMode !== 'none' && dnsServiceInformer !== undefined) {
      const dnsService = dnsServiceInformer;
      const clusterDns = new ClusterDnsReconciler({
        api,
        target: {
          mode: clusterDnsMode,
          domain: config.meshDomain,
          meshNamespace: config.meshNamespace,
          dnsService: config.dnsService,
        },
        configMaps: () =>
          new Map(configMapInformers.flatMap((i) => i.objects()).map((obj) => [nameOf(obj) ?? '', obj])),
        dnsService: () => dnsService.objects()[0],
        logger: logger.child({ reconciler: 'cluster-dns' }),
        events,
        requestSync: requestDnsSync,
        onOutcome: (outcome) => metrics.clusterDnsBlockPresent.set(outcome.present ? 1 : 0),
      });
      dnsRunner = new SyncRunner({
        ...runnerOptions('cluster-dns'),
        sync: () =>
          measured(metrics, 'cluster-dns', () => {
            dnsChanges.drain();
            return clusterDns.sync();
          }),
      });
    }
    // The shadows wait for the pods too: a plan without them would strip every ServiceAccount.
    const runners = [
      { runner: shadowRunner, needs: [shadowInformer, serviceInformer, podInformer, namespaceInformer] },
      { runner: policyRunner, needs: [shadowInformer, serviceInformer, policyInformer] },
    ];
    if (dnsRunner !== undefined && dnsServiceInformer !== undefined) {
      runners.push({ runner: dnsRunner, needs: [...configMapInformers, dnsServiceInformer] });
    }
    let identityRunner: SyncRunner | undefined;
    if (issuer !== undefined && issuerSecretInformer !== undefined) {
      const role = issuer;
      const secrets = issuerSecretInformer;
      identityRunner = new SyncRunner({
        ...runnerOptions('identity'),
        sync: () => measured(metrics, 'identity', () => role.leaderSync(secrets.hasSynced())),
      });
      runners.push({ runner: identityRunner, needs: [secrets] });
    }
    const routeStatus = createRouteStatusWork();
    leaderWork = {
      shadowRunner,
      dnsRunner,
      identityRunner,
      runners,
      podInformer,
      namespaceInformer,
      policyInformer,
      policyRunner,
      routeStatus,
    };
    logger.info('leading: reconciling shadow Services, the cluster DNS and mesh route status');
    podInformer.start();
    namespaceInformer.start();
    policyInformer.start();
    for (const collection of routeStatus.collections) collection.start();
    startRunnersWhenSynced();
  }

  /**
   * The leader's watches on the Gateway API kinds and the runner writing route status. A kind whose CRD is
   * not installed counts as synced and empty, and is looked for again now and then.
   */
  function createRouteStatusWork(): RouteStatusWork {
    const objects = new Map<GatewayKind, OptionalCollection>();
    const collections = GATEWAY_KINDS.map((info) => {
      const name = `${info.plural}.${info.group}`;
      const collection = new OptionalCollection({
        config: kubeConfig,
        name,
        paths: gatewayCollectionPaths(info),
        informer: (path) =>
          new ResourceInformer({
            name,
            config: kubeConfig,
            path,
            logger,
            handlers: {
              onAdd: () => requestRouteSync(),
              onUpdate: (obj, previous) => {
                // Our own status writes come back as updates: only a change of what status is computed from counts.
                if (JSON.stringify(specOf(obj)) !== JSON.stringify(specOf(previous))) requestRouteSync();
              },
              onDelete: () => requestRouteSync(),
              onSynced: () => startRunnersWhenSynced(),
            },
          }),
        probeIntervalMs: options.crdProbeIntervalMs ?? 30_000,
        logger,
        onSettled: () => startRunnersWhenSynced(),
      });
      objects.set(info.kind, collection);
      return collection;
    });
    const writer = new RouteStatusWriter({
      api,
      routes: () =>
        new Map(
          [...objects]
            .filter(([kind]) => kind !== 'ReferenceGrant')
            .map(([kind, c]) => [kind, { apiVersion: apiVersionOf(c.watchedPath()), objects: c.objects() }]),
        ),
      referenceGrants: () => objects.get('ReferenceGrant')?.objects() ?? [],
      services: () => serviceInformer.objects(),
      meshNamespace: config.meshNamespace,
      defaults: { ...DEFAULT_MESH_DEFAULTS, trafficType: config.defaultTrafficType },
      logger: logger.child({ reconciler: 'route-status' }),
      onWrite: (result) => metrics.routeStatusWrites.inc({ result }),
      requestSync: requestRouteSync,
    });
    const runner = new SyncRunner({
      ...runnerOptions('route-status'),
      sync: () => measured(metrics, 'route-status', () => writer.sync()),
    });
    return { runner, collections };
  }

  /** A reconciler starts once its own informers have synced, so one that cannot list does not hold up the other. */
  function startRunnersWhenSynced(): void {
    for (const { runner, needs } of leaderWork?.runners ?? []) {
      if (needs.every((i) => i.hasSynced())) runner.start();
    }
    const routeStatus = leaderWork?.routeStatus;
    if (
      routeStatus !== undefined &&
      serviceInformer.hasSynced() &&
      routeStatus.collections.every((c) => c.settled())
    ) {
      routeStatus.runner.start();
    }
  }

  function stopLeaderWork(): Promise<void> {
    const work = leaderWork;
    leaderWork = undefined;
    if (work !== undefined) {
      logger.info('no longer leading: reconcilers stopped');
      const previous = leaderWorkStopped;
      leaderWorkStopped = Promise.all([
        previous,
        work.podInformer.stop(),
        work.namespaceInformer.stop(),
        work.policyInformer.stop(),
        ...work.runners.map(({ runner }) => runner.stop()),
        work.routeStatus.runner.stop(),
        ...work.routeStatus.collections.map((c) => c.stop()),
      ]).then(() => undefined);
    }
    return leaderWorkStopped;
  }

  const dns = await dnsServer.start();
  logger.info('mesh DNS server listening', { host: dns.host, port: dns.port, domain: config.meshDomain });
  for (const i of informers) i.start();
  elector = new LeaderElector({
    namespace: config.meshNamespace,
    name: config.leaseName,
    identity,
    client: options.leaseClient ?? kubeLeaseClient(kubeConfig),
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.leaseRenewDeadlineMs,
    retryPeriodMs: config.leaseRetryPeriodMs,
    logger,
    onStartedLeading: startLeaderWork,
    onStoppedLeading: () => void stopLeaderWork(),
    onNewLeader: (holder) => logger.info('leader observed', { leader: holder }),
  });
  elector.start();

  const notReady = (): string[] => {
    const reasons = informers
      .filter((i) => !i.hasSynced())
      .map((i) => `informer ${i.state().name} not synced`);
    if (dnsServer.address === undefined) reasons.push('DNS server not listening');
    return reasons;
  };
  let admin: AdminServer | undefined;
  if (options.admin !== false) {
    try {
      admin = await startAdminServer({
        host: config.adminHost,
        port: config.adminPort,
        registry,
        more: [dnsMetrics],
        notReady,
      });
    } catch (error) {
      await Promise.all([elector.stop(), ...informers.map((i) => i.stop()), dnsServer.stop()]);
      throw error;
    }
    logger.info('admin server listening', { host: admin.host, port: admin.port });
  }

  const activeElector = elector;
  let stopped: Promise<void> | undefined;
  return {
    identity,
    issuer,
    zone,
    registry,
    dns,
    admin: admin === undefined ? undefined : { host: admin.host, port: admin.port },
    isLeader: () => activeElector.isLeader(),
    notReady,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        // Writes end before the lease is released, so the next leader never overlaps with this one.
        await stopLeaderWork();
        await activeElector.stop();
        await stopLeaderWork();
        await Promise.all(informers.map((i) => i.stop()));
        await issuer?.stop();
        await Promise.race([events.flush(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
        await Promise.all([dnsServer.stop(), admin?.stop()]);
        logger.info('stopped');
      })();
      return stopped;
    },
  };
}

/** `/apis/<group>/<version>/<plural>` → `<group>/<version>`. */
function apiVersionOf(path: string | undefined): string | undefined {
  const match = path === undefined ? null : /^\/apis\/([^/]+\/[^/]+)\//.exec(path);
  return match?.[1];
}

function specOf(obj: unknown): unknown {
  return typeof obj === 'object' && obj !== null
    ? [
        (obj as { spec?: unknown }).spec,
        (obj as { metadata?: { generation?: unknown } }).metadata?.generation,
      ]
    : undefined;
}

function nameOf(obj: unknown): string | undefined {
  const metadata =
    typeof obj === 'object' && obj !== null ? (obj as { metadata?: unknown }).metadata : undefined;
  const name =
    typeof metadata === 'object' && metadata !== null ? (metadata as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}
