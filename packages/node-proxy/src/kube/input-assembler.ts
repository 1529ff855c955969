/**
 * Turns drained API changes into the topology builder's inputs. It holds the last good parsed version of
 * every object, so a resource that fails validation is reported (once per version) and the version before it
 * keeps routing; and it returns the same input objects for whatever did not change, so the builder only
 * rebuilds the Services a change touched. No I/O: the shell feeds it ChangeTracker drains and turns its
 * rejections into log lines and Events.
 */
import { type Change, readObjectMeta } from '@nodemesh/kube-runtime';
import {
  DEFAULT_MESH_DEFAULTS,
  DEFAULT_MTLS_MODE,
  type FieldError,
  fail,
  GATEWAY_KINDS,
  type GatewayKind,
  type GatewayResource,
  type HTTPRouteGroup,
  type MeshRoute,
  type MtlsMode,
  type ParsedShadow,
  type PortRange,
  parseGatewayResource,
  parseServiceAnnotations,
  parseSmiResource,
  type ReferenceGrant,
  type Result,
  readUserService,
  type ServiceMeshConfig,
  type SmiResource,
  type TCPRoute,
  type TrafficSplit,
  type TrafficTarget,
  type UDPRoute,
  type UserService,
} from '@nodemesh/smi-types';
import {
  type EndpointSliceView,
  mergeEndpointSlices,
  parseEndpointSlice,
} from '../topology/endpoint-slice.js';
import { meshServiceInput } from '../topology/from-kubernetes.js';
import {
  type EndpointInput,
  type MeshServiceInput,
  objectKey,
  type TopologyInputs,
} from '../topology/inputs.js';
import { LastGoodStore } from './last-good-store.js';
import { oneLine, type RejectionSink } from './rejection.js';
import { type ShadowEntry, shadowEntryParser } from './shadow-entry.js';
import { SMI_COLLECTIONS, type SmiKind } from './smi-kinds.js';

export interface InputAssemblerOptions {
  readonly meshDomain: string;
  /** Services here are shadows (read through their own informer), never user Services. */
  readonly meshNamespace: string;
  /** The proxy ports this proxy may listen on; shadow ports outside them are left out and reported. */
  readonly httpEntrypoints: number;
  readonly tcpPorts: PortRange;
  readonly udpPorts: PortRange;
  readonly onRejected: RejectionSink;
  /** The mode of a Service whose shadow names none (`--mtls-mode`; default `DEFAULT_MTLS_MODE`). */
  readonly mtlsMode?: MtlsMode;
}

type Changes = ReadonlyMap<string, Change<unknown>>;

/** One drain of every ChangeTracker; a missing field means no change of that kind. */
export interface InputChanges {
  readonly services?: Changes;
  readonly shadows?: Changes;
  readonly endpointSlices?: Changes;
  readonly smi?: Partial<Record<SmiKind, Changes>>;
  /** Gateway API kinds (HTTPRoute, GRPCRoute, TCPRoute, ReferenceGrant). */
  readonly gateway?: Partial<Record<GatewayKind, Changes>>;
}

interface ConfigMemo {
  readonly user: UserService;
  readonly defaultType: ServiceMeshConfig['trafficType'];
  readonly config: ServiceMeshConfig | undefined;
}

interface ServiceMemo {
  readonly user: UserService;
  readonly config: ServiceMeshConfig;
  readonly shadow: ShadowEntry | undefined;
  readonly input: MeshServiceInput;
}

export class InputAssembler {
  readonly #options: InputAssemblerOptions;
  readonly #users = new LastGoodStore<UserService>(readUserService);
  readonly #shadows: LastGoodStore<ShadowEntry>;
  readonly #slices = new LastGoodStore<EndpointSliceView>(parseEndpointSlice);
  readonly #smi = new Map<SmiKind, LastGoodStore<SmiResource>>();
  /** `<ns>/<svc>` of a user Service → the key of its shadow (the first by key when several claim it). */
  #shadowOf = new Map<string, string>();
  readonly #configs = new Map<string, ConfigMemo>();
  readonly #services = new Map<string, ServiceMemo>();
  #servicesNow: ReadonlyMap<string, MeshServiceInput> = new Map();
  /** Service key → the keys of its EndpointSlices. */
  readonly #slicesOf = new Map<string, Set<string>>();
  /** EndpointSlice key → its Service key (a slice's label could change). */
  readonly #serviceOfSlice = new Map<string, string>();
  readonly #endpoints = new Map<string, readonly EndpointInput[]>();
  #trafficSplits: readonly TrafficSplit[] = [];
  #trafficTargets: readonly TrafficTarget[] = [];
  #httpRouteGroups: ReadonlyMap<string, HTTPRouteGroup> = new Map();
  #tcpRoutes: ReadonlyMap<string, TCPRoute> = new Map();
  #udpRoutes: ReadonlyMap<string, UDPRoute> = new Map();
  readonly #gateway = new Map<GatewayKind, LastGoodStore<GatewayResource>>();
  #meshRoutes: readonly MeshRoute[] = [];
  #referenceGrants: readonly ReferenceGrant[] = [];

  constructor(options: InputAssemblerOptions) {
    this.#options = options;
    this.#shadows = new LastGoodStore(shadowEntryParser(options));
    for (const collection of SMI_COLLECTIONS) {
      const apiVersion = `${collection.group}/${collection.version}`;
      this.#smi.set(
        collection.kind,
        new LastGoodStore((raw) => parseSmiOf(raw, collection.kind, apiVersion)),
      );
    }
    for (const info of GATEWAY_KINDS) {
      this.#gateway.set(info.kind, new LastGoodStore((raw) => parseGatewayResource(raw, info.kind)));
    }
  }

  /** Applies one drain of changes. Invalid versions go to `onRejected`; their last good version stays. */
  apply(changes: InputChanges): void {
    if (changes.services !== undefined) {
      const users = new Map([...changes.services].filter(([key]) => !this.#inMeshNamespace(key)));
      this.#users.apply(users, (raw, errors, kept) => this.#reject(raw, 'v1', 'Service', errors, kept));
    }
    if (changes.shadows !== undefined && changes.shadows.size > 0) {
      const changed = this.#shadows.apply(changes.shadows, (raw, errors, kept) =>
        this.#reject(raw, 'v1', 'Service', errors, kept, 'InvalidShadowService'),
      );
      if (changed.size > 0) this.#indexShadows();
    }
    // Configs are judged now, so a later bad version has this good one to fall back on.
    if (changes.services !== undefined || changes.shadows !== undefined) {
      this.#servicesNow = this.#assembleServices();
    }
    if (changes.endpointSlices !== undefined) this.#applySlices(changes.endpointSlices);
    for (const [kind, kindChanges] of Object.entries(changes.smi ?? {}) as [SmiKind, Changes][]) {
      this.#applySmi(kind, kindChanges);
    }
    for (const [kind, kindChanges] of Object.entries(changes.gateway ?? {}) as [GatewayKind, Changes][]) {
      this.#applyGateway(kind, kindChanges);
    }
  }

  /** The builder's inputs now. Objects that did not change since the last call are the same objects. */
  inputs(): TopologyInputs {
    return {
      meshDomain: this.#options.meshDomain,
      services: new Map(this.#servicesNow),
      endpoints: new Map(this.#endpoints),
      trafficSplits: this.#trafficSplits,
      httpRouteGroups: this.#httpRouteGroups,
      trafficTargets: this.#trafficTargets,
      tcpRoutes: this.#tcpRoutes,
      udpRoutes: this.#udpRoutes,
      meshRoutes: this.#meshRoutes,
      referenceGrants: this.#referenceGrants,
    };
  }

  #inMeshNamespace(key: string): boolean {
    return key.startsWith(`${this.#options.meshNamespace}/`);
  }

  #indexShadows(): void {
    const index = new Map<string, string>();
    for (const [key, entry] of this.#shadows.entries()) {
      const of = objectKey(entry.shadow.of.namespace, entry.shadow.of.name);
      if (!index.has(of)) index.set(of, key);
    }
    this.#shadowOf = index;
  }

  #assembleServices(): Map<string, MeshServiceInput> {
    const services = new Map<string, MeshServiceInput>();
    for (const [key, user] of this.#users.entries()) {
      const shadowKey = this.#shadowOf.get(key);
      const shadow = shadowKey === undefined ? undefined : this.#shadows.get(shadowKey);
      const config = this.#configFor(key, user, shadow?.shadow);
      if (config === undefined) continue;
      const memo = this.#services.get(key);
      if (memo !== undefined && memo.user === user && memo.config === config && memo.shadow === shadow) {
        services.set(key, memo.input);
        continue;
      }
      const base = meshServiceInput(user, config, shadow?.shadow);
      const input: MeshServiceInput = {
        ...base,
        serviceAccounts: shadow?.serviceAccounts ?? [],
        mtlsMode: shadow?.mtlsMode ?? this.#options.mtlsMode ?? DEFAULT_MTLS_MODE,
      };
      this.#services.set(key, { user, config, shadow, input });
      services.set(key, input);
    }
    for (const key of this.#services.keys()) if (!services.has(key)) this.#services.delete(key);
    for (const key of this.#configs.keys()) if (!this.#users.has(key)) this.#configs.delete(key);
    return services;
  }

  /**
   * The Service's mesh config. Without its own `traffic-type` annotation a Service has the type the
   * dns-controller wrote on its shadow (the controller's default may differ from ours). Bad annotations keep
   * the last good config; a Service that never had one is left out until fixed.
   */
  #configFor(
    key: string,
    user: UserService,
    shadow: ParsedShadow | undefined,
  ): ServiceMeshConfig | undefined {
    const defaultType = shadow?.trafficType ?? DEFAULT_MESH_DEFAULTS.trafficType;
    const memo = this.#configs.get(key);
    if (memo !== undefined && memo.user === user && memo.defaultType === defaultType) return memo.config;
    const parsed = parseServiceAnnotations(user.annotations, {
      ...DEFAULT_MESH_DEFAULTS,
      trafficType: defaultType,
    });
    let config: ServiceMeshConfig | undefined;
    if (parsed.ok) {
      // Keep the identity of an equal config, so the builder's memo still hits.
      config = memo?.config !== undefined && sameJson(memo.config, parsed.value) ? memo.config : parsed.value;
    } else {
      config = memo?.config;
      if (memo?.user !== user) {
        this.#options.onRejected({
          object: { apiVersion: 'v1', kind: 'Service', namespace: user.namespace, name: user.name },
          reason: 'InvalidAnnotations',
          message: `${oneLine(parsed.errors)}; ${config === undefined ? 'the Service stays out of the mesh until fixed' : 'its last good configuration stays in effect'}`,
        });
      }
    }
    this.#configs.set(key, { user, defaultType, config });
    return config;
  }

  #applySlices(changes: Changes): void {
    const affected = new Set<string>();
    const changed = this.#slices.apply(changes, (raw, errors, kept) =>
      this.#reject(raw, 'discovery.k8s.io/v1', 'EndpointSlice', errors, kept),
    );
    for (const key of changed) {
      const before = this.#serviceOfSlice.get(key);
      if (before !== undefined) {
        affected.add(before);
        this.#slicesOf.get(before)?.delete(key);
        if (this.#slicesOf.get(before)?.size === 0) this.#slicesOf.delete(before);
        this.#serviceOfSlice.delete(key);
      }
      const view = this.#slices.get(key);
      if (view === undefined) continue;
      const service = objectKey(view.namespace, view.service);
      affected.add(service);
      this.#serviceOfSlice.set(key, service);
      const keys = this.#slicesOf.get(service) ?? new Set<string>();
      keys.add(key);
      this.#slicesOf.set(service, keys);
    }
    for (const service of affected) {
      const views = [...(this.#slicesOf.get(service) ?? [])]
        .sort()
        .map((key) => this.#slices.get(key))
        .filter((view): view is EndpointSliceView => view !== undefined);
      if (views.length === 0) {
        this.#endpoints.delete(service);
        continue;
      }
      const merged = mergeEndpointSlices(views);
      const previous = this.#endpoints.get(service);
      if (previous === undefined || !sameJson(previous, merged)) this.#endpoints.set(service, merged);
    }
  }

  #applySmi(kind: SmiKind, changes: Changes): void {
    const store = this.#smi.get(kind);
    if (store === undefined || changes.size === 0) return;
    const changed = store.apply(changes, (raw, errors, kept) =>
      this.#reject(raw, apiVersionOf(raw, kind), kind, errors, kept),
    );
    if (changed.size === 0) return;
    const values = store.entries();
    switch (kind) {
      case 'TrafficSplit':
        this.#trafficSplits = values.map(([, v]) => v).filter((v): v is TrafficSplit => v.kind === kind);
        break;
      case 'TrafficTarget':
        this.#trafficTargets = values.map(([, v]) => v).filter((v): v is TrafficTarget => v.kind === kind);
        break;
      case 'HTTPRouteGroup':
        this.#httpRouteGroups = new Map(
          values.filter((e): e is [string, HTTPRouteGroup] => e[1].kind === kind),
        );
        break;
      case 'TCPRoute':
        this.#tcpRoutes = new Map(values.filter((e): e is [string, TCPRoute] => e[1].kind === kind));
        break;
      case 'UDPRoute':
        this.#udpRoutes = new Map(values.filter((e): e is [string, UDPRoute] => e[1].kind === kind));
        break;
    }
  }

  #applyGateway(kind: GatewayKind, changes: Changes): void {
    const store = this.#gateway.get(kind);
    if (store === undefined || changes.size === 0) return;
    const info = GATEWAY_KINDS.find((k) => k.kind === kind);
    const apiVersion = info === undefined ? '' : `${info.group}/${info.versions[0]}`;
    const changed = store.apply(changes, (raw, errors, kept) =>
      this.#reject(raw, apiVersion, kind, errors, kept),
    );
    if (changed.size === 0) return;
    if (kind === 'ReferenceGrant') {
      this.#referenceGrants = store
        .entries()
        .map(([, v]) => v)
        .filter((v): v is ReferenceGrant => v.kind === 'ReferenceGrant');
      return;
    }
    const routes: MeshRoute[] = [];
    for (const routeKind of ['HTTPRoute', 'GRPCRoute', 'TCPRoute'] as const) {
      for (const [, value] of this.#gateway.get(routeKind)?.entries() ?? []) {
        if (value.kind !== 'ReferenceGrant') routes.push(value);
      }
    }
    this.#meshRoutes = routes;
  }

  #reject(
    raw: unknown,
    apiVersion: string,
    kind: string,
    errors: readonly FieldError[],
    keptLastGood: boolean,
    reason = `Invalid${kind}`,
  ): void {
    const meta = readObjectMeta(raw);
    this.#options.onRejected({
      object: {
        apiVersion,
        kind,
        namespace: meta.namespace ?? '',
        name: meta.name ?? '',
        ...(meta.uid === undefined ? {} : { uid: meta.uid }),
      },
      reason,
      message: `${oneLine(errors)}; ${keptLastGood ? 'the last good version stays in effect' : 'ignored until fixed'}`,
    });
  }
}

/** Parses an SMI object of one expected kind; list items may lack apiVersion and kind, so they are filled in. */
function parseSmiOf(raw: unknown, kind: SmiKind, apiVersion: string): Result<SmiResource> {
  const typed =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? { apiVersion, kind, ...(raw as Record<string, unknown>) }
      : raw;
  const parsed = parseSmiResource(typed);
  if (parsed.ok && parsed.value.kind !== kind) {
    return fail([{ path: 'kind', message: `must be ${kind}, got "${parsed.value.kind}"` }]);
  }
  return parsed;
}

function apiVersionOf(raw: unknown, kind: SmiKind): string {
  const given =
    typeof raw === 'object' && raw !== null ? (raw as { apiVersion?: unknown }).apiVersion : undefined;
  if (typeof given === 'string') return given;
  const collection = SMI_COLLECTIONS.find((c) => c.kind === kind);
  return collection === undefined ? '' : `${collection.group}/${collection.version}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
