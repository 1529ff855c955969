import { statusOf } from './api-errors.js';
import { type KubeConnection, requestJson } from './kube-connection.js';
import { type LeaseClient, LeaseConflictError, type LeaseRecord } from './lease.js';
import { isRecord } from './object-meta.js';

/** A LeaseClient over coordination.k8s.io/v1 as JSON: 404 reads as "absent", 409 as LeaseConflictError. */
export function kubeLeaseClient(config: KubeConnection): LeaseClient {
  const leases = (namespace: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const conflictIs409 = (error: unknown) => (statusOf(error) === 409 ? new LeaseConflictError() : error);
  return {
    async get(namespace, name) {
      try {
        return fromLease(
          await requestJson(config, 'GET', `${leases(namespace)}/${encodeURIComponent(name)}`),
        );
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async create(namespace, name, record) {
      try {
        return fromLease(
          await requestJson(config, 'POST', leases(namespace), toLease(namespace, name, record)),
        );
      } catch (error) {
        throw conflictIs409(error);
      }
    },
    async replace(namespace, name, record) {
      try {
        const path = `${leases(namespace)}/${encodeURIComponent(name)}`;
        return fromLease(await requestJson(config, 'PUT', path, toLease(namespace, name, record)));
      } catch (error) {
        throw conflictIs409(error);
      }
    },
  };
}

/** A Lease time (MicroTime): RFC 3339 with six fractional digits, as the API server requires. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function toLease(namespace: string, name: string, record: LeaseRecord) {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      namespace,
      name,
      ...(record.resourceVersion === undefined ? {} : { resourceVersion: record.resourceVersion }),
    },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      ...(record.acquireTimeMs === undefined ? {} : { acquireTime: microTime(record.acquireTimeMs) }),
      ...(record.renewTimeMs === undefined ? {} : { renewTime: microTime(record.renewTimeMs) }),
      leaseTransitions: record.leaseTransitions,
    },
  };
}

function fromLease(lease: unknown): LeaseRecord {
  const spec = isRecord(lease) && isRecord(lease.spec) ? lease.spec : {};
  const metadata = isRecord(lease) && isRecord(lease.metadata) ? lease.metadata : {};
  const ms = (value: unknown) => {
    const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    return Number.isFinite(parsed) ? parsed : undefined;
  };
  return {
    holderIdentity: typeof spec.holderIdentity === 'string' ? spec.holderIdentity : undefined,
    leaseDurationSeconds: typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : 0,
    acquireTimeMs: ms(spec.acquireTime),
    renewTimeMs: ms(spec.renewTime),
    leaseTransitions: typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : 0,
    resourceVersion: typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : undefined,
  };
}
