/**
 * What the shadow Services should be, from the user Services and the shadows that exist: pure, so every rule
 * (which Services join the mesh, port allocation, bad annotations, orphans) is unit-tested without an API
 * server. The shell (shadow-reconciler.ts) applies the plan.
 */
import {
  ANNOTATION_MTLS,
  allocatePorts,
  allocationsFromShadows,
  desiredShadowService,
  formatFieldErrors,
  HTTP_ENTRYPOINT_BASE,
  isMeshCandidate,
  type MeshCandidateOptions,
  type MeshDefaults,
  type MeshServicePorts,
  type MtlsMode,
  type ParsedShadow,
  type PortAllocation,
  type PortRange,
  parseServiceAnnotations,
  parseShadowService,
  readUserService,
  resolveMtlsMode,
  SHADOW_ANNOTATION_MTLS_MODE,
  SHADOW_ANNOTATION_SERVICE_ACCOUNTS,
  type ShadowOf,
  type ShadowServiceManifest,
  shadowOfFromLabels,
  type TrafficType,
  type UserService,
} from '@nodemesh/smi-types';
import { type NamespaceMtls, readNamespaceMtls } from '../namespaces/namespace-mtls.js';
import { shadowDiffers, shadowUpdateBody } from './shadow-diff.js';

export interface ShadowPlanConfig extends MeshCandidateOptions {
  /** Traffic type and HTTP defaults for Services without annotations. */
  readonly defaults: MeshDefaults;
  readonly tcpRange: PortRange;
  readonly udpRange: PortRange;
  /** HTTP entrypoints the node-proxies listen on: HTTP_ENTRYPOINT_BASE … + n - 1. */
  readonly httpEntrypoints: number;
  /**
   * The mesh-wide mTLS mode. When set, every shadow carries its Service's mode as resolved (Service
   * annotation, else Namespace annotation, else this) in SHADOW_ANNOTATION_MTLS_MODE; unset, the annotation
   * is neither written nor compared (`nodemesh check`).
   */
  readonly mtlsMode?: MtlsMode | undefined;
}

/** Why a user Service gets an Event. Stable: alerts and tests match on them. */
export type ShadowEventReason =
  | 'InvalidService'
  | 'InvalidAnnotations'
  | 'InvalidMtlsMode'
  | 'PortRangeExhausted'
  | 'NotEnoughHttpEntrypoints';

/** A Warning Event on a Namespace whose `nodemesh.io/mtls` annotation names no mode (its Services fall back). */
export interface NamespaceEvent {
  readonly namespace: string;
  readonly uid: string | undefined;
  readonly type: 'Warning';
  readonly reason: 'InvalidMtlsMode';
  readonly message: string;
}

/** A Kubernetes Event to record on a user Service. */
export interface ShadowEvent {
  readonly of: ShadowOf;
  readonly uid: string | undefined;
  readonly type: 'Warning';
  readonly reason: ShadowEventReason;
  readonly message: string;
}

export interface ShadowCreate {
  readonly of: ShadowOf;
  readonly manifest: ShadowServiceManifest;
}

export interface ShadowUpdate {
  readonly of: ShadowOf;
  readonly name: string;
  /** The full object to PUT: the current shadow with the desired fields, carrying its resourceVersion. */
  readonly body: Record<string, unknown>;
}

export type ShadowDeleteReason = 'orphaned' | 'no-ports' | 'duplicate';

export interface ShadowDelete {
  readonly name: string;
  /** Sent as a precondition, so a shadow changed meanwhile is not deleted blindly (409, next sync decides). */
  readonly resourceVersion: string | undefined;
  readonly reason: ShadowDeleteReason;
}

export interface ShadowPlan {
  readonly create: readonly ShadowCreate[];
  readonly update: readonly ShadowUpdate[];
  readonly delete: readonly ShadowDelete[];
  readonly events: readonly ShadowEvent[];
  /** Namespaces of meshed Services whose mTLS annotation is bad (one each, however many Services). */
  readonly namespaceEvents: readonly NamespaceEvent[];
  /** The mode each meshed Service resolved to (`<ns>/<name>` → mode), when `config.mtlsMode` is set. */
  readonly mtlsModes: ReadonlyMap<string, MtlsMode>;
  /** The allocation table after this plan, for the port-usage metrics. */
  readonly allocations: readonly PortAllocation[];
  /** Shadows that could not be read (their allocations are lost); for the log. */
  readonly invalidShadows: readonly { readonly name: string; readonly message: string }[];
}

/**
 * The ServiceAccounts the pods a selector matches in a namespace run as; undefined for a Service without a
 * selector (ServiceAccountIndex.serviceAccountsFor).
 */
export type ServiceAccountLookup = (
  namespace: string,
  selector: Readonly<Record<string, string>> | undefined,
) => readonly string[] | undefined;

const noServiceAccounts: ServiceAccountLookup = () => undefined;

interface ShadowSeen {
  readonly name: string;
  readonly raw: unknown;
  readonly of: ShadowOf;
  readonly parsed: ParsedShadow | undefined;
  readonly resourceVersion: string | undefined;
}

const keyOf = (of: ShadowOf): string => `${of.namespace}/${of.name}`;

/**
 * The changes that make the shadows match the user Services:
 * - a mesh candidate with valid annotations gets the shadow smi-types describes, ports allocated from the
 *   allocations recorded in the existing shadows (so a restart moves nothing);
 * - a Service that cannot be read, or whose annotations are invalid, keeps its shadow (the last good one) and
 *   its allocations, and gets a Warning Event naming the field;
 * - a Service whose ports cannot all be allocated gets a Warning Event, and a shadow with the ports that could;
 * - a shadow without ports is not created, and an existing one is deleted;
 * - shadows of Services that are gone or no longer meshed, and duplicates under another name, are deleted;
 * - a shadow carries the ServiceAccounts `serviceAccountsOf` gives for its Service's selector (none without a
 *   selector), so a changed set is an update and an unchanged one no write at all;
 * - with `config.mtlsMode`, a shadow carries the mTLS mode resolved from the Service's and its Namespace's
 *   `nodemesh.io/mtls` annotations (`namespaces`: the Namespace objects, or what an informer keeps of them);
 *   a bad annotation gets a Warning Event on its Service or Namespace and the next level applies.
 */
export function planShadowChanges(
  userServices: readonly unknown[],
  shadows: readonly unknown[],
  config: ShadowPlanConfig,
  serviceAccountsOf: ServiceAccountLookup = noServiceAccounts,
  namespaces: readonly unknown[] = [],
): ShadowPlan {
  const events: ShadowEvent[] = [];
  const namespaceMtls = readNamespaceMtls(namespaces);
  const mtlsModes = new Map<string, MtlsMode>();
  const badNamespaces = new Map<string, NamespaceEvent>();
  const invalidShadows: { name: string; message: string }[] = [];
  const shadowsOf = new Map<string, ShadowSeen[]>();
  for (const raw of shadows) {
    const seen = readShadow(raw, config.meshNamespace, invalidShadows);
    if (seen === undefined) continue;
    const list = shadowsOf.get(keyOf(seen.of)) ?? [];
    list.push(seen);
    shadowsOf.set(keyOf(seen.of), list);
  }

  const wanted: { svc: UserService; uid: string | undefined; trafficType: TrafficType }[] = [];
  const kept = new Set<string>();
  for (const raw of userServices) {
    const meta = metaOf(raw);
    if (meta === undefined || !namespaceIsMeshed(meta.namespace, config)) continue;
    const of = { namespace: meta.namespace, name: meta.name };
    const svc = readUserService(raw);
    if (!svc.ok) {
      kept.add(keyOf(of));
      events.push(warning(of, meta.uid, 'InvalidService', svc.errors, 'the Service'));
      continue;
    }
    if (!isMeshCandidate(svc.value, config)) continue;
    const meshConfig = parseServiceAnnotations(svc.value.annotations, config.defaults);
    if (!meshConfig.ok) {
      kept.add(keyOf(of));
      events.push(warning(of, meta.uid, 'InvalidAnnotations', meshConfig.errors, 'the annotations'));
      continue;
    }
    if (config.mtlsMode !== undefined) {
      const ns: NamespaceMtls | undefined = namespaceMtls.get(of.namespace);
      const choice = resolveMtlsMode(svc.value.annotations[ANNOTATION_MTLS], ns?.annotation, config.mtlsMode);
      mtlsModes.set(keyOf(of), choice.mode);
      for (const problem of choice.problems) {
        const message = `${problem.path} ${problem.message}; the Service's mTLS mode is ${choice.mode}`;
        if (problem.source === 'Service') {
          events.push({ of, uid: meta.uid, type: 'Warning', reason: 'InvalidMtlsMode', message });
        } else if (!badNamespaces.has(of.namespace)) {
          badNamespaces.set(of.namespace, {
            namespace: of.namespace,
            uid: ns?.uid,
            type: 'Warning',
            reason: 'InvalidMtlsMode',
            message: `${problem.path} ${problem.message}; its Services fall back to their own annotation, else the mesh-wide mode ${config.mtlsMode}`,
          });
        }
      }
    }
    wanted.push({ svc: svc.value, uid: meta.uid, trafficType: meshConfig.value.trafficType });
  }

  const allParsed = [...shadowsOf.values()].flat().flatMap((s) => (s.parsed ? [s.parsed] : []));
  // A kept Service keeps the allocations its shadow records: they are still wanted.
  const keptPorts: MeshServicePorts[] = allParsed
    .filter((s) => kept.has(keyOf(s.of)))
    .map((s) => ({ of: s.of, trafficType: s.trafficType, ports: s.ports }));
  const table = allocatePorts({
    existing: allocationsFromShadows(allParsed),
    services: [
      ...wanted.map(({ svc, trafficType }) => ({
        of: { namespace: svc.namespace, name: svc.name },
        trafficType,
        ports: svc.ports,
      })),
      ...keptPorts,
    ],
    tcpRange: config.tcpRange,
    udpRange: config.udpRange,
  });

  const create: ShadowCreate[] = [];
  const update: ShadowUpdate[] = [];
  const remove: ShadowDelete[] = [];
  const handled = new Set<string>(kept);
  for (const { svc, uid, trafficType } of wanted) {
    const of = { namespace: svc.namespace, name: svc.name };
    handled.add(keyOf(of));
    for (const error of table.errors.filter((e) => keyOf(e.of) === keyOf(of))) {
      events.push({ of, uid, type: 'Warning', reason: 'PortRangeExhausted', message: error.message });
    }
    const full = desiredShadowService(svc, { trafficType }, table, {
      meshNamespace: config.meshNamespace,
      serviceAccounts: serviceAccountsOf(svc.namespace, svc.selector),
      mtlsMode: mtlsModes.get(keyOf(of)),
    });
    const lastEntrypoint = HTTP_ENTRYPOINT_BASE + config.httpEntrypoints - 1;
    const tooFar = full.spec.ports.filter(
      (p) => p.protocol === 'TCP' && trafficType === 'http' && p.targetPort > lastEntrypoint,
    );
    if (tooFar.length > 0) {
      events.push({
        of,
        uid,
        type: 'Warning',
        reason: 'NotEnoughHttpEntrypoints',
        message: `ports ${tooFar.map((p) => p.name).join(', ')} need HTTP entrypoints up to ${Math.max(...tooFar.map((p) => p.targetPort))} but the node-proxies listen on ${HTTP_ENTRYPOINT_BASE}-${lastEntrypoint} (--http-entrypoints ${config.httpEntrypoints}); those ports are left out of the mesh`,
      });
    }
    const manifest: ShadowServiceManifest = {
      ...full,
      spec: { ...full.spec, ports: full.spec.ports.filter((p) => !tooFar.includes(p)) },
    };
    const existing = shadowsOf.get(keyOf(of)) ?? [];
    for (const other of existing.filter((s) => s.name !== manifest.metadata.name)) {
      remove.push({ name: other.name, resourceVersion: other.resourceVersion, reason: 'duplicate' });
    }
    const current = existing.find((s) => s.name === manifest.metadata.name);
    if (manifest.spec.ports.length === 0) {
      if (current)
        remove.push({ name: current.name, resourceVersion: current.resourceVersion, reason: 'no-ports' });
    } else if (current === undefined) {
      create.push({ of, manifest });
    } else if (shadowDiffers(current.raw, manifest)) {
      update.push({ of, name: current.name, body: shadowUpdateBody(current.raw, manifest) });
    }
  }
  for (const [key, list] of shadowsOf) {
    if (handled.has(key)) continue;
    for (const s of list)
      remove.push({ name: s.name, resourceVersion: s.resourceVersion, reason: 'orphaned' });
  }
  return {
    create,
    update,
    delete: remove,
    events,
    namespaceEvents: [...badNamespaces.values()],
    mtlsModes,
    allocations: table.allocations,
    invalidShadows,
  };
}

/** Whether Services of this namespace may join the mesh at all (the part of isMeshCandidate about namespaces). */
export function namespaceIsMeshed(namespace: string, opts: MeshCandidateOptions): boolean {
  if (namespace === opts.meshNamespace || opts.ignoreNamespaces.includes(namespace)) return false;
  return opts.watchNamespaces.length === 0 || opts.watchNamespaces.includes(namespace);
}

function warning(
  of: ShadowOf,
  uid: string | undefined,
  reason: ShadowEventReason,
  errors: Parameters<typeof formatFieldErrors>[0],
  what: string,
): ShadowEvent {
  return {
    of,
    uid,
    type: 'Warning',
    reason,
    message: `${what} cannot be read; the mesh keeps the last good configuration: ${formatFieldErrors(errors).replaceAll('\n', '; ')}`,
  };
}

function readShadow(
  raw: unknown,
  meshNamespace: string,
  invalid: { name: string; message: string }[],
): ShadowSeen | undefined {
  const meta = metaOf(raw);
  if (meta === undefined || meta.namespace !== meshNamespace) return undefined;
  const labels = isRecord(raw) && isRecord(raw.metadata) ? raw.metadata.labels : undefined;
  const of = shadowOfFromLabels(labels);
  if (of === undefined) return undefined;
  const parsed = parseShadowService(raw);
  if (!parsed.ok)
    invalid.push({ name: meta.name, message: formatFieldErrors(parsed.errors).replaceAll('\n', '; ') });
  // A shadow whose only fault is its ServiceAccounts or mTLS annotation (the controller's own, rewritten by
  // this plan) keeps its port allocations: a hand-edited value must not move ports.
  const usable = parsed.ok ? parsed : parseShadowService(withoutControllerAnnotations(raw));
  return {
    name: meta.name,
    raw,
    of,
    parsed: usable.ok ? usable.value : undefined,
    resourceVersion: meta.resourceVersion,
  };
}

function withoutControllerAnnotations(raw: unknown): unknown {
  if (!isRecord(raw) || !isRecord(raw.metadata) || !isRecord(raw.metadata.annotations)) return raw;
  const {
    [SHADOW_ANNOTATION_SERVICE_ACCOUNTS]: _accounts,
    [SHADOW_ANNOTATION_MTLS_MODE]: _mode,
    ...annotations
  } = raw.metadata.annotations;
  return { ...raw, metadata: { ...raw.metadata, annotations } };
}

interface Meta {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string | undefined;
  readonly resourceVersion: string | undefined;
}

/** namespace, name, uid and resourceVersion of an object that has not been validated; undefined without a name. */
function metaOf(raw: unknown): Meta | undefined {
  if (!isRecord(raw)) return undefined;
  const metadata = isRecord(raw.metadata) ? raw.metadata : raw;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const namespace = text(metadata.namespace);
  const name = text(metadata.name);
  if (namespace === undefined || name === undefined) return undefined;
  return { namespace, name, uid: text(metadata.uid), resourceVersion: text(metadata.resourceVersion) };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
