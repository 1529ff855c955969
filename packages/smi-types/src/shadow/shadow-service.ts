/** The shadow Service the dns-controller wants for one user Service: a plain core/v1 Service object. */
import { ANNOTATION_TRAFFIC_TYPE } from '../annotations/annotation-keys.js';
import type { ServiceMeshConfig, TrafficType } from '../annotations/service-config.js';
import { type MtlsMode, SHADOW_ANNOTATION_MTLS_MODE } from '../identity/mtls-mode.js';
import {
  HTTP_ENTRYPOINT_BASE,
  SHADOW_ANNOTATION_SERVICE_ACCOUNTS,
  type ShadowOf,
  type ShadowPort,
} from './contract.js';
import {
  type AllocationTable,
  findAllocation,
  type PortAllocation,
  portTrafficType,
} from './port-allocator.js';
import { formatServiceAccounts } from './service-accounts-annotation.js';
import { shadowLabels, shadowSelectorForProxies } from './shadow-labels.js';
import { shadowServiceName } from './shadow-name.js';
import type { UserService, UserServicePort } from './user-service.js';

export interface ShadowServicePortSpec {
  readonly name: string;
  readonly protocol: 'TCP' | 'UDP';
  readonly port: number;
  readonly targetPort: number;
}

/** The shadow Service as sent to the API server (create, or the fields to compare and update). */
export interface ShadowServiceManifest {
  readonly apiVersion: 'v1';
  readonly kind: 'Service';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly type: 'ClusterIP';
    readonly selector: Readonly<Record<string, string>>;
    readonly internalTrafficPolicy: 'Local';
    readonly ports: readonly ShadowServicePortSpec[];
  };
}

export interface ShadowPortsOutcome {
  readonly ports: readonly ShadowPort[];
  /** TCP/UDP ports that need an allocation and have none (the allocator reported why). */
  readonly unallocated: readonly UserServicePort[];
}

/**
 * The shadow ports of a user Service. The i-th port (counting every port of the Service) of http traffic
 * targets entrypoint HTTP_ENTRYPOINT_BASE + i; TCP and UDP traffic targets its allocation. SCTP ports are
 * not meshed and left out.
 */
export function shadowPorts(
  svc: UserService,
  trafficType: TrafficType,
  allocations: readonly PortAllocation[],
): ShadowPortsOutcome {
  const of: ShadowOf = { namespace: svc.namespace, name: svc.name };
  const ports: ShadowPort[] = [];
  const unallocated: UserServicePort[] = [];
  svc.ports.forEach((userPort, i) => {
    const { protocol, port } = userPort;
    if (protocol === 'SCTP') return;
    const portType = portTrafficType(trafficType, protocol);
    const targetPort =
      portType === 'http' ? HTTP_ENTRYPOINT_BASE + i : findAllocation(allocations, of, protocol, port);
    if (targetPort === undefined) {
      unallocated.push(userPort);
      return;
    }
    ports.push({ name: userPort.name ?? `p${port}`, protocol, port, targetPort, trafficType: portType });
  });
  return { ports, unallocated };
}

/**
 * The shadow Service of `svc`: in the mesh namespace, selecting the node-proxies, `internalTrafficPolicy:
 * Local` so each caller reaches the proxy on its own node. Ports the table has no allocation for are left
 * out (the allocator's errors say why); a shadow with no ports at all is not a valid Service, so check
 * `spec.ports.length` (or `shadowPorts`) before creating it. With `serviceAccounts` (the ServiceAccounts the
 * Service's pods run as; leave it out for a Service without a selector) the shadow carries them, sorted and
 * de-duplicated, in SHADOW_ANNOTATION_SERVICE_ACCOUNTS (an empty list writes an empty value). With `mtlsMode`
 * (the mode resolveMtlsMode chose for the Service) the shadow carries it in SHADOW_ANNOTATION_MTLS_MODE.
 */
export function desiredShadowService(
  svc: UserService,
  config: Pick<ServiceMeshConfig, 'trafficType'>,
  table: Pick<AllocationTable, 'allocations'>,
  opts: {
    readonly meshNamespace: string;
    readonly serviceAccounts?: readonly string[] | undefined;
    readonly mtlsMode?: MtlsMode | undefined;
  },
): ShadowServiceManifest {
  const of: ShadowOf = { namespace: svc.namespace, name: svc.name };
  const { ports } = shadowPorts(svc, config.trafficType, table.allocations);
  const annotations: Record<string, string> = { [ANNOTATION_TRAFFIC_TYPE]: config.trafficType };
  if (opts.serviceAccounts !== undefined) {
    annotations[SHADOW_ANNOTATION_SERVICE_ACCOUNTS] = formatServiceAccounts(opts.serviceAccounts);
  }
  if (opts.mtlsMode !== undefined) annotations[SHADOW_ANNOTATION_MTLS_MODE] = opts.mtlsMode;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: shadowServiceName(of.namespace, of.name),
      namespace: opts.meshNamespace,
      labels: shadowLabels(of),
      annotations,
    },
    spec: {
      type: 'ClusterIP',
      selector: shadowSelectorForProxies(),
      internalTrafficPolicy: 'Local',
      ports: ports.map(({ name, protocol, port, targetPort }) => ({ name, protocol, port, targetPort })),
    },
  };
}
