import { ApiError, invalid } from '../api/api-error.js';
import { isRecord, type JsonValue, type KubeObject } from '../api/kube-object.js';
import type { ClusterIpAllocator } from './cluster-ip-allocator.js';
import { validateService } from './service-validation.js';

function specOf(obj: KubeObject): Record<string, JsonValue> {
  if (!isRecord(obj.spec)) obj.spec = {};
  return obj.spec as Record<string, JsonValue>;
}

function defaultPorts(spec: Record<string, JsonValue>): void {
  if (!Array.isArray(spec.ports)) return;
  for (const port of spec.ports) {
    if (!isRecord(port)) continue;
    if (port.protocol === undefined) port.protocol = 'TCP';
    if (port.targetPort === undefined && port.port !== undefined) port.targetPort = port.port;
  }
}

function ipTaken(name: string, ip: string): ApiError {
  return invalid('Service', '', name, [
    {
      field: 'spec.clusterIPs',
      message: `Invalid value: ["${ip}"]: failed to allocate IP ${ip}: provided IP is already allocated`,
    },
  ]);
}

/**
 * Defaults a Service and gives it a ClusterIP on create (or takes the one asked for, 422 if taken or outside
 * the block); on update keeps the IP, which is immutable.
 */
export function admitService(
  allocator: ClusterIpAllocator,
  obj: KubeObject,
  old: KubeObject | undefined,
): () => void {
  const name = obj.metadata.name ?? '';
  const causes = validateService(obj);
  if (causes.length > 0) throw invalid('Service', '', name, causes);
  const spec = specOf(obj);
  if (spec.type === undefined) spec.type = 'ClusterIP';
  if (spec.sessionAffinity === undefined) spec.sessionAffinity = 'None';
  if (spec.internalTrafficPolicy === undefined && spec.type !== 'ExternalName')
    spec.internalTrafficPolicy = 'Cluster';
  defaultPorts(spec);
  const requested = typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? spec.clusterIP : undefined;
  const noop = () => {};
  if (old) {
    const oldSpec = isRecord(old.spec) ? old.spec : {};
    const oldIp = typeof oldSpec.clusterIP === 'string' ? oldSpec.clusterIP : undefined;
    if (requested !== undefined && oldIp !== undefined && requested !== oldIp) {
      throw invalid('Service', '', name, [
        { field: 'spec.clusterIPs[0]', message: `Invalid value: "${requested}": may not change once set` },
      ]);
    }
    if (oldIp !== undefined) {
      spec.clusterIP = oldIp;
      spec.clusterIPs = [oldIp];
    }
    if (Array.isArray(oldSpec.ipFamilies)) spec.ipFamilies = structuredClone(oldSpec.ipFamilies) as JsonValue;
    if (typeof oldSpec.ipFamilyPolicy === 'string') spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
    return noop;
  }
  if (spec.type === 'ExternalName') return noop;
  let ip: string;
  if (requested === 'None') {
    if (spec.type !== 'ClusterIP') {
      throw invalid('Service', '', name, [
        {
          field: 'spec.clusterIPs[0]',
          message: 'Invalid value: "None": may only be set to "None" for ClusterIP services',
        },
      ]);
    }
    ip = 'None';
  } else if (requested !== undefined) {
    const result = allocator.reserve(requested);
    if (result === 'taken') throw ipTaken(name, requested);
    if (result !== 'ok') {
      throw invalid('Service', '', name, [
        {
          field: 'spec.clusterIPs',
          message: `Invalid value: ["${requested}"]: failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range`,
        },
      ]);
    }
    ip = requested;
  } else {
    const allocated = allocator.allocate();
    if (allocated === undefined)
      throw new ApiError('InternalError', 'failed to allocate a serviceIP: range is full');
    ip = allocated;
  }
  spec.clusterIP = ip;
  spec.clusterIPs = [ip];
  spec.ipFamilies = ['IPv4'];
  spec.ipFamilyPolicy = 'SingleStack';
  return ip === 'None' ? noop : () => allocator.release(ip);
}

/** The ClusterIP a stored Service holds, if any (for release on delete and rebuild on restart). */
export function clusterIpOf(obj: KubeObject): string | undefined {
  const ip = isRecord(obj.spec) ? obj.spec.clusterIP : undefined;
  return typeof ip === 'string' && ip !== '' && ip !== 'None' ? ip : undefined;
}
