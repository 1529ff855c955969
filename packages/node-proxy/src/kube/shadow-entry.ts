/**
 * A shadow Service as the node-proxy uses it: the parsed shadow with only the ports this proxy may listen
 * on, and the destination ServiceAccounts the dns-controller recorded on it for access control.
 */
import {
  type FieldError,
  fail,
  HTTP_ENTRYPOINT_BASE,
  isMtlsMode,
  MTLS_MODES,
  type MtlsMode,
  ok,
  type ParsedShadow,
  type PortRange,
  parseShadowService,
  type Result,
  SHADOW_ANNOTATION_MTLS_MODE,
  type ShadowPort,
} from '@nodemesh/smi-types';

export interface ShadowEntry {
  readonly shadow: ParsedShadow;
  /**
   * From the shadow's `nodemesh.io/service-accounts` annotation, validated by `parseShadowService`; empty
   * when absent or empty.
   */
  readonly serviceAccounts: readonly string[];
  /**
   * The mTLS mode the dns-controller resolved for the Service (`nodemesh.io/mtls-mode`); undefined when the
   * shadow names none (a controller older than the mode), and the proxy's `--mtls-mode` applies.
   */
  readonly mtlsMode: MtlsMode | undefined;
}

export interface ProxyPortRanges {
  /** HTTP entrypoints are HTTP_ENTRYPOINT_BASE … HTTP_ENTRYPOINT_BASE + httpEntrypoints - 1. */
  readonly httpEntrypoints: number;
  readonly tcpPorts: PortRange;
  readonly udpPorts: PortRange;
}

/** Whether this proxy may listen on a shadow port's targetPort. */
export function portAllowed(port: ShadowPort, ranges: ProxyPortRanges): boolean {
  const within = (range: PortRange) => port.targetPort >= range.first && port.targetPort <= range.last;
  switch (port.trafficType) {
    case 'http':
      return within({ first: HTTP_ENTRYPOINT_BASE, last: HTTP_ENTRYPOINT_BASE + ranges.httpEntrypoints - 1 });
    case 'tcp':
      return within(ranges.tcpPorts);
    case 'udp':
      return within(ranges.udpPorts);
  }
}

/**
 * A parser for shadow Services. A port outside this proxy's ranges (the dns-controller and the proxy were
 * configured differently) is an error, so the last good version of the shadow stays in effect.
 */
export function shadowEntryParser(ranges: ProxyPortRanges): (raw: unknown) => Result<ShadowEntry> {
  return (raw) => {
    const parsed = parseShadowService(raw);
    if (!parsed.ok) return parsed;
    const errors: FieldError[] = [];
    parsed.value.ports.forEach((port, i) => {
      if (!portAllowed(port, ranges)) {
        errors.push({
          path: `spec.ports[${i}].targetPort`,
          message: `${port.targetPort} is outside this proxy's ${port.trafficType} ports (${describeRange(port.trafficType, ranges)}): check --http-entrypoints, --tcp-ports and --udp-ports of both components`,
        });
      }
    });
    const mode = shadowMtlsMode(raw);
    // A mode we cannot read is not taken for a weaker one: the last good version of the shadow stays.
    if (mode === 'invalid') {
      errors.push({
        path: `metadata.annotations[${JSON.stringify(SHADOW_ANNOTATION_MTLS_MODE)}]`,
        message: `must be one of ${MTLS_MODES.join(', ')}`,
      });
    }
    if (errors.length > 0 || mode === 'invalid') return fail(errors);
    return ok({ shadow: parsed.value, serviceAccounts: parsed.value.serviceAccounts, mtlsMode: mode });
  };
}

/** The shadow's `nodemesh.io/mtls-mode`: a mode, undefined when absent, `invalid` for anything else. */
function shadowMtlsMode(raw: unknown): MtlsMode | undefined | 'invalid' {
  const metadata = isRecord(raw) && isRecord(raw.metadata) ? raw.metadata : undefined;
  const annotations = isRecord(metadata?.annotations) ? metadata.annotations : undefined;
  const value = annotations?.[SHADOW_ANNOTATION_MTLS_MODE];
  if (value === undefined) return undefined;
  return isMtlsMode(value) ? value : 'invalid';
}

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function describeRange(type: ShadowPort['trafficType'], ranges: ProxyPortRanges): string {
  if (type === 'http') return `${HTTP_ENTRYPOINT_BASE}-${HTTP_ENTRYPOINT_BASE + ranges.httpEntrypoints - 1}`;
  const range = type === 'tcp' ? ranges.tcpPorts : ranges.udpPorts;
  return `${range.first}-${range.last}`;
}
