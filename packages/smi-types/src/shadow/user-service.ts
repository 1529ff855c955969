/**
 * The parts of a user's core/v1 Service the mesh needs, read and validated from whatever the API server (or
 * a watch event) handed over, and the rule for which Services join the mesh.
 */
import { describeValue } from '../validation/describe.js';
import { type FieldError, fail, ok, type Result } from '../validation/result.js';
import {
  isObject,
  readClusterIPs,
  readNonEmptyString,
  readPortNumber,
  readServiceHead,
  readStringMap,
  specError,
} from './object-fields.js';

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface UserServicePort {
  /** Required by Kubernetes only when a Service has several ports. */
  readonly name: string | undefined;
  readonly port: number;
  readonly protocol: ServiceProtocol;
  /** A number, a named container port, or absent (then the pods' port equals `port`). */
  readonly targetPort: number | string | undefined;
}

export interface UserService {
  readonly namespace: string;
  readonly name: string;
  readonly type: ServiceType;
  /** Empty, or `['None']` for a headless Service. */
  readonly clusterIPs: readonly string[];
  readonly ports: readonly UserServicePort[];
  /** Absent: the Service has no selector (its endpoints are managed by hand). */
  readonly selector: Readonly<Record<string, string>> | undefined;
  readonly annotations: Readonly<Record<string, string>>;
  readonly resourceVersion: string | undefined;
}

const SERVICE_TYPES: readonly ServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const PROTOCOLS: readonly ServiceProtocol[] = ['TCP', 'UDP', 'SCTP'];

/** Reads a core/v1 Service. Defaults as the API server applies them: type ClusterIP, protocol TCP. Never throws. */
export function readUserService(obj: unknown): Result<UserService> {
  const errors: FieldError[] = [];
  const head = readServiceHead(obj, errors);
  if (head === undefined) return fail(errors);
  const { metadata, namespace, name, resourceVersion, spec } = head;
  const annotations = readStringMap(metadata.annotations, 'metadata.annotations', errors);
  if (spec === undefined) return fail([...errors, specError(obj)]);
  const type = spec.type === undefined ? 'ClusterIP' : SERVICE_TYPES.find((t) => t === spec.type);
  if (type === undefined) {
    errors.push({
      path: 'spec.type',
      message: `must be one of ${SERVICE_TYPES.join(', ')}, got ${describeValue(spec.type)}`,
    });
  }
  const clusterIPs = readClusterIPs(spec, errors);
  const ports = readPorts(spec.ports, errors);
  let selector: Readonly<Record<string, string>> | undefined;
  if (spec.selector !== undefined && spec.selector !== null) {
    selector = readStringMap(spec.selector, 'spec.selector', errors);
  }

  if (
    errors.length > 0 ||
    namespace === undefined ||
    name === undefined ||
    type === undefined ||
    annotations === undefined
  ) {
    return fail(errors);
  }
  return ok({ namespace, name, type, clusterIPs, ports, selector, annotations, resourceVersion });
}

function readPorts(value: unknown, errors: FieldError[]): UserServicePort[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push({ path: 'spec.ports', message: `must be a list, got ${describeValue(value)}` });
    return [];
  }
  const ports: UserServicePort[] = [];
  value.forEach((item: unknown, i) => {
    const path = `spec.ports[${i}]`;
    if (!isObject(item)) {
      errors.push({ path, message: `must be an object, got ${describeValue(item)}` });
      return;
    }
    const name =
      item.name === undefined || item.name === null || item.name === ''
        ? undefined
        : readNonEmptyString(item.name, `${path}.name`, errors);
    const port = readPortNumber(item.port, `${path}.port`, errors);
    const protocol = item.protocol === undefined ? 'TCP' : PROTOCOLS.find((p) => p === item.protocol);
    if (protocol === undefined) {
      errors.push({
        path: `${path}.protocol`,
        message: `must be one of ${PROTOCOLS.join(', ')}, got ${describeValue(item.protocol)}`,
      });
    }
    const targetPort = readTargetPort(item.targetPort, `${path}.targetPort`, errors);
    if (port !== undefined && protocol !== undefined) ports.push({ name, port, protocol, targetPort });
  });
  return ports;
}

function readTargetPort(value: unknown, path: string, errors: FieldError[]): number | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value !== '') return value;
  return readPortNumber(value, path, errors);
}

export interface MeshCandidateOptions {
  /** The mesh's own namespace: its Services (the shadows among them) never join the mesh. */
  readonly meshNamespace: string;
  /** Namespaces whose Services join the mesh; empty means every namespace. */
  readonly watchNamespaces: readonly string[];
  /** Namespaces whose Services never join the mesh, even when listed in watchNamespaces. */
  readonly ignoreNamespaces: readonly string[];
}

/** Whether the mesh gives this Service a shadow and a mesh name. ExternalName Services have no pods to proxy to. */
export function isMeshCandidate(svc: UserService, opts: MeshCandidateOptions): boolean {
  if (svc.type === 'ExternalName') return false;
  if (svc.namespace === opts.meshNamespace) return false;
  if (opts.ignoreNamespaces.includes(svc.namespace)) return false;
  return opts.watchNamespaces.length === 0 || opts.watchNamespaces.includes(svc.namespace);
}
