import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { statusOf } from './api-errors.js';
import { type LeaseClient, LeaseConflictError, type LeaseRecord } from './lease.js';

/** A LeaseClient over client-node's CoordinationV1Api: 404 reads as "absent", 409 as LeaseConflictError. */
export function kubeLeaseClient(config: KubeConfig): LeaseClient {
  const api = config.makeApiClient(CoordinationV1Api);
  return {
    async get(namespace, name) {
      try {
        return fromLease(await api.readNamespacedLease({ namespace, name }));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async create(namespace, name, record) {
      try {
        return fromLease(
          await api.createNamespacedLease({ namespace, body: toLease(namespace, name, record) }),
        );
      } catch (error) {
        throw statusOf(error) === 409 ? new LeaseConflictError() : error;
      }
    },
    async replace(namespace, name, record) {
      try {
        const body = toLease(namespace, name, record);
        return fromLease(await api.replaceNamespacedLease({ namespace, name, body }));
      } catch (error) {
        throw statusOf(error) === 409 ? new LeaseConflictError() : error;
      }
    },
  };
}

function toLease(namespace: string, name: string, record: LeaseRecord): V1Lease {
  const time = (ms: number | undefined) => (ms === undefined ? undefined : new V1MicroTime(ms));
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { namespace, name, resourceVersion: record.resourceVersion },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: time(record.acquireTimeMs),
      renewTime: time(record.renewTimeMs),
      leaseTransitions: record.leaseTransitions,
    },
  };
}

function fromLease(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  const ms = (value: unknown) => {
    const parsed =
      value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
    return Number.isFinite(parsed) ? parsed : undefined;
  };
  return {
    holderIdentity: typeof spec.holderIdentity === 'string' ? spec.holderIdentity : undefined,
    leaseDurationSeconds: typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : 0,
    acquireTimeMs: ms(spec.acquireTime),
    renewTimeMs: ms(spec.renewTime),
    leaseTransitions: typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : 0,
    resourceVersion: lease.metadata?.resourceVersion,
  };
}
