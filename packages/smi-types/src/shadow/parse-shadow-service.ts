/**
 * Reads a shadow Service back from the API server: the node-proxy builds its listeners from it and the
 * dns-controller rebuilds its port allocations from it at start.
 */
import { ANNOTATION_TRAFFIC_TYPE } from '../annotations/annotation-keys.js';
import { annotationPath } from '../annotations/parse-service-annotations.js';
import type { TrafficType } from '../annotations/service-config.js';
import { isMtlsMode, MTLS_MODES, type MtlsMode, SHADOW_ANNOTATION_MTLS_MODE } from '../identity/mtls-mode.js';
import { describeValue } from '../validation/describe.js';
import { type FieldError, fail, ok, type Result } from '../validation/result.js';
import {
  LABEL_PART_OF,
  LABEL_PART_OF_VALUE,
  LABEL_SHADOW_OF_NAME,
  LABEL_SHADOW_OF_NAMESPACE,
  SHADOW_ANNOTATION_SERVICE_ACCOUNTS,
  type ShadowOf,
  type ShadowPort,
} from './contract.js';
import {
  isObject,
  readClusterIPs,
  readNonEmptyString,
  readPortNumber,
  readServiceHead,
  specError,
} from './object-fields.js';
import { type PortAllocation, portTrafficType } from './port-allocator.js';
import { readServiceAccounts } from './service-accounts-annotation.js';
import { shadowOfFromLabels } from './shadow-labels.js';

export interface ParsedShadow {
  readonly of: ShadowOf;
  readonly namespace: string;
  readonly name: string;
  /** The user Service's traffic type, from the shadow's `nodemesh.io/traffic-type` annotation. */
  readonly trafficType: TrafficType;
  readonly clusterIPs: readonly string[];
  /** Each port's own traffic type: a UDP port is udp, a TCP port of a udp Service is tcp. */
  readonly ports: readonly ShadowPort[];
  /**
   * The ServiceAccounts the user Service's pods run as (SHADOW_ANNOTATION_SERVICE_ACCOUNTS), sorted; empty
   * when the annotation is absent (a Service without a selector) or empty (no pods).
   */
  readonly serviceAccounts: readonly string[];
  /**
   * The mTLS mode the dns-controller resolved for the user Service (SHADOW_ANNOTATION_MTLS_MODE); undefined
   * when the shadow names none (written by an older dns-controller): the node-proxy's `--mtls-mode` applies.
   */
  readonly mtlsMode?: MtlsMode | undefined;
  readonly resourceVersion: string | undefined;
}

const TRAFFIC_TYPES: readonly TrafficType[] = ['http', 'tcp', 'udp'];

/** Validates a shadow Service from the API server. Never throws. */
export function parseShadowService(obj: unknown): Result<ParsedShadow> {
  const errors: FieldError[] = [];
  const head = readServiceHead(obj, errors);
  if (head === undefined) return fail(errors);
  const { metadata, namespace, name, resourceVersion, spec } = head;
  const of = shadowOfFromLabels(metadata.labels);
  if (of === undefined) {
    errors.push({
      path: 'metadata.labels',
      message: `must hold ${LABEL_PART_OF}=${LABEL_PART_OF_VALUE}, ${LABEL_SHADOW_OF_NAMESPACE} and ${LABEL_SHADOW_OF_NAME}`,
    });
  }
  const annotations = isObject(metadata.annotations) ? metadata.annotations : {};
  const typeText = annotations[ANNOTATION_TRAFFIC_TYPE];
  const trafficType = TRAFFIC_TYPES.find((t) => t === typeText);
  if (trafficType === undefined) {
    errors.push({
      path: annotationPath(ANNOTATION_TRAFFIC_TYPE),
      message: `must be one of ${TRAFFIC_TYPES.join(', ')}, got ${describeValue(typeText)}`,
    });
  }
  const serviceAccounts = readServiceAccounts(annotations[SHADOW_ANNOTATION_SERVICE_ACCOUNTS], errors);
  const mtlsText = annotations[SHADOW_ANNOTATION_MTLS_MODE];
  const mtlsMode = isMtlsMode(mtlsText) ? mtlsText : undefined;
  if (mtlsText !== undefined && mtlsMode === undefined) {
    errors.push({
      path: annotationPath(SHADOW_ANNOTATION_MTLS_MODE),
      message: `must be one of ${MTLS_MODES.join(', ')}, got ${describeValue(mtlsText)}`,
    });
  }
  if (spec === undefined) return fail([...errors, specError(obj)]);
  const clusterIPs = readClusterIPs(spec, errors);
  const ports = readShadowPorts(spec.ports, trafficType ?? 'http', errors);

  if (
    errors.length > 0 ||
    namespace === undefined ||
    name === undefined ||
    of === undefined ||
    !trafficType
  ) {
    return fail(errors);
  }
  return ok({
    of,
    namespace,
    name,
    trafficType,
    clusterIPs,
    ports,
    serviceAccounts,
    ...(mtlsMode === undefined ? {} : { mtlsMode }),
    resourceVersion,
  });
}

function readShadowPorts(value: unknown, trafficType: TrafficType, errors: FieldError[]): ShadowPort[] {
  if (!Array.isArray(value)) {
    errors.push({ path: 'spec.ports', message: `must be a list, got ${describeValue(value)}` });
    return [];
  }
  const ports: ShadowPort[] = [];
  value.forEach((item: unknown, i) => {
    const path = `spec.ports[${i}]`;
    if (!isObject(item)) {
      errors.push({ path, message: `must be an object, got ${describeValue(item)}` });
      return;
    }
    const name = readNonEmptyString(item.name, `${path}.name`, errors);
    const protocol = item.protocol === 'TCP' || item.protocol === 'UDP' ? item.protocol : undefined;
    if (protocol === undefined) {
      errors.push({
        path: `${path}.protocol`,
        message: `must be TCP or UDP, got ${describeValue(item.protocol)}`,
      });
    }
    const port = readPortNumber(item.port, `${path}.port`, errors);
    const targetPort = readPortNumber(item.targetPort, `${path}.targetPort`, errors);
    if (name === undefined || protocol === undefined || port === undefined || targetPort === undefined)
      return;
    ports.push({ name, protocol, port, targetPort, trafficType: portTrafficType(trafficType, protocol) });
  });
  return ports;
}

/** The port allocations recorded in shadow Services: the allocator's `existing` input at start. */
export function allocationsFromShadows(shadows: readonly ParsedShadow[]): PortAllocation[] {
  return shadows.flatMap((shadow) =>
    shadow.ports
      .filter((p) => p.trafficType !== 'http')
      .map((p) => ({ of: shadow.of, protocol: p.protocol, servicePort: p.port, proxyPort: p.targetPort })),
  );
}
