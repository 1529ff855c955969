/**
 * Which strict-mode NetworkPolicies should exist, from the shadow Services (the mode the dns-controller
 * resolved and the node-proxies enforce), the user Services (their selectors) and the policies the
 * dns-controller manages. Pure: the shell (network-policy-reconciler.ts) applies the plan.
 *
 * Following the shadows rather than resolving the mode again keeps the side door in step with the data plane:
 * a Service is closed when its shadow says `strict`, and opened again when it no longer does or is gone.
 */
import { isRecord } from '@nodemesh/kube-runtime';
import {
  LABEL_MANAGED_BY,
  LABEL_MANAGED_BY_VALUE,
  parseShadowService,
  readUserService,
  type ShadowOf,
} from '@nodemesh/smi-types';
import {
  desiredStrictPolicy,
  LABEL_STRICT_FOR,
  type StrictPolicyManifest,
  strictPolicyName,
} from './strict-policy.js';

export interface PolicyCreate {
  readonly manifest: StrictPolicyManifest;
}

export interface PolicyUpdate {
  readonly namespace: string;
  readonly name: string;
  /** The current object with the desired labels and spec, carrying its resourceVersion (a race is a 409). */
  readonly body: Record<string, unknown>;
}

export interface PolicyDelete {
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string | undefined;
}

/** A strict Service that cannot be closed: it selects no pods by label. */
export interface PolicyEvent {
  readonly of: ShadowOf;
  readonly uid: string | undefined;
  readonly type: 'Warning';
  readonly reason: 'StrictWithoutSelector';
  readonly message: string;
}

export interface PolicyPlan {
  readonly create: readonly PolicyCreate[];
  readonly update: readonly PolicyUpdate[];
  readonly delete: readonly PolicyDelete[];
  readonly events: readonly PolicyEvent[];
}

interface Managed {
  readonly namespace: string;
  readonly name: string;
  readonly raw: Record<string, unknown>;
  readonly resourceVersion: string | undefined;
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * - each shadow in `strict` whose user Service exists and has a non-empty selector gets its policy (created,
 *   or updated when its spec or labels differ);
 * - a strict Service without a selector gets a Warning instead (no policy could select its pods; an empty
 *   podSelector would close every pod of the namespace);
 * - a managed policy no strict shadow wants is deleted; objects without the managed-by and strict-for labels
 *   are never touched, whatever `policies` holds;
 * - a strict shadow whose user Service cannot be read keeps its policy as it is.
 */
export function planNetworkPolicies(
  shadows: readonly unknown[],
  userServices: readonly unknown[],
  policies: readonly unknown[],
  meshNamespace: string,
): PolicyPlan {
  const services = new Map<string, unknown>();
  for (const raw of userServices) {
    const meta = isRecord(raw) && isRecord(raw.metadata) ? raw.metadata : undefined;
    if (typeof meta?.namespace === 'string' && typeof meta.name === 'string') {
      services.set(keyOf(meta.namespace, meta.name), raw);
    }
  }
  const managed = new Map<string, Managed>();
  for (const raw of policies) {
    const found = readManaged(raw);
    if (found !== undefined) managed.set(keyOf(found.namespace, found.name), found);
  }

  const create: PolicyCreate[] = [];
  const update: PolicyUpdate[] = [];
  const events: PolicyEvent[] = [];
  const wanted = new Set<string>();
  for (const raw of shadows) {
    const shadow = parseShadowService(raw);
    if (!shadow.ok || shadow.value.mtlsMode !== 'strict') continue;
    const { of } = shadow.value;
    const key = keyOf(of.namespace, strictPolicyName(of.name));
    const rawService = services.get(keyOf(of.namespace, of.name));
    if (rawService === undefined) continue;
    const svc = readUserService(rawService);
    if (!svc.ok) {
      wanted.add(key);
      continue;
    }
    const selector = svc.value.selector ?? {};
    if (Object.keys(selector).length === 0) {
      events.push({
        of,
        uid: uidOf(rawService),
        type: 'Warning',
        reason: 'StrictWithoutSelector',
        message:
          'the mTLS mode is strict but the Service has no selector, so no NetworkPolicy can admit its pods only from node-proxies: calls through the mesh use mTLS, direct calls to its endpoints are not refused',
      });
      continue;
    }
    wanted.add(key);
    const manifest = desiredStrictPolicy(of, selector, meshNamespace);
    const current = managed.get(key);
    if (current === undefined) {
      create.push({ manifest });
    } else if (policyDiffers(current.raw, manifest)) {
      update.push({
        namespace: of.namespace,
        name: manifest.metadata.name,
        body: updateBody(current.raw, manifest),
      });
    }
  }
  const remove: PolicyDelete[] = [...managed]
    .filter(([key]) => !wanted.has(key))
    .map(([, m]) => ({ namespace: m.namespace, name: m.name, resourceVersion: m.resourceVersion }));
  return { create, update, delete: remove, events };
}

/** A policy the dns-controller manages (both labels), or undefined for anything else. */
function readManaged(raw: unknown): Managed | undefined {
  if (!isRecord(raw) || !isRecord(raw.metadata)) return undefined;
  const { namespace, name, resourceVersion, labels } = raw.metadata;
  if (typeof namespace !== 'string' || typeof name !== 'string' || !isRecord(labels)) return undefined;
  if (labels[LABEL_MANAGED_BY] !== LABEL_MANAGED_BY_VALUE || typeof labels[LABEL_STRICT_FOR] !== 'string') {
    return undefined;
  }
  return {
    namespace,
    name,
    raw,
    resourceVersion: typeof resourceVersion === 'string' ? resourceVersion : undefined,
  };
}

function uidOf(raw: unknown): string | undefined {
  const uid = isRecord(raw) && isRecord(raw.metadata) ? raw.metadata.uid : undefined;
  return typeof uid === 'string' && uid !== '' ? uid : undefined;
}

/** Compared as JSON: the spec the API server returns for this shape is the spec sent (no defaults added). */
function policyDiffers(current: Record<string, unknown>, desired: StrictPolicyManifest): boolean {
  const metadata = isRecord(current.metadata) ? current.metadata : {};
  const labels = isRecord(metadata.labels) ? metadata.labels : {};
  const labelsDiffer = Object.entries(desired.metadata.labels).some(([k, v]) => labels[k] !== v);
  return labelsDiffer || canonical(current.spec) !== canonical(desired.spec);
}

function updateBody(
  current: Record<string, unknown>,
  desired: StrictPolicyManifest,
): Record<string, unknown> {
  const metadata = isRecord(current.metadata) ? current.metadata : {};
  const labels = isRecord(metadata.labels) ? metadata.labels : {};
  return {
    ...current,
    apiVersion: desired.apiVersion,
    kind: desired.kind,
    metadata: { ...metadata, labels: { ...labels, ...desired.metadata.labels } },
    spec: desired.spec,
  };
}

/** JSON with object keys sorted, so key order does not count as a difference. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
