/**
 * The Gateway API kinds Nodemesh reads, each in every version it accepts (newest first: the one the
 * components watch), with the validator that normalises it. The in-memory API server's CRDs are built from
 * this table too, so a kind cannot be served without being validated.
 */
import type { Result } from '../validation/result.js';
import { GATEWAY_GROUP } from './fields.js';
import { validateGrpcRoute } from './grpc-route.js';
import { validateHttpRoute } from './http-route.js';
import type { GatewayResource } from './model.js';
import { validateReferenceGrant } from './reference-grant.js';
import { validateTcpRoute } from './tcp-route.js';

export type GatewayKind = GatewayResource['kind'];

export interface GatewayKindInfo {
  readonly kind: GatewayKind;
  readonly group: string;
  readonly plural: string;
  /** In order of preference: the components watch the first served; the first is the generated CRD's storage version. */
  readonly versions: readonly string[];
  /** The upstream release channel (Gateway API 1.6) the first version is in. */
  readonly channel: 'standard' | 'experimental';
  readonly validate: (value: unknown, apiVersion: string) => Result<GatewayResource>;
}

export const GATEWAY_KINDS: readonly GatewayKindInfo[] = [
  {
    kind: 'HTTPRoute',
    group: GATEWAY_GROUP,
    plural: 'httproutes',
    versions: ['v1', 'v1beta1'],
    channel: 'standard',
    validate: validateHttpRoute,
  },
  {
    kind: 'GRPCRoute',
    group: GATEWAY_GROUP,
    plural: 'grpcroutes',
    versions: ['v1', 'v1alpha2'],
    channel: 'standard',
    validate: validateGrpcRoute,
  },
  // v1 since Gateway API 1.6 (standard channel); v1alpha2 before it (experimental channel only).
  {
    kind: 'TCPRoute',
    group: GATEWAY_GROUP,
    plural: 'tcproutes',
    versions: ['v1', 'v1alpha2'],
    channel: 'standard',
    validate: validateTcpRoute,
  },
  {
    kind: 'ReferenceGrant',
    group: GATEWAY_GROUP,
    plural: 'referencegrants',
    // v1beta1 is served by every release since 0.6; v1 since 1.6.
    versions: ['v1beta1', 'v1', 'v1alpha2'],
    channel: 'standard',
    validate: validateReferenceGrant,
  },
];

/** The route kinds, whose status Nodemesh writes. */
export const GATEWAY_ROUTE_KINDS: readonly GatewayKindInfo[] = GATEWAY_KINDS.filter(
  (k) => k.kind !== 'ReferenceGrant',
);

/**
 * The cluster-wide collection paths of a kind, one per accepted version in order of preference: the
 * components watch the first one the cluster serves (clusters run different Gateway API releases).
 */
export function gatewayCollectionPaths(info: GatewayKindInfo): string[] {
  return info.versions.map((version) => `/apis/${info.group}/${version}/${info.plural}`);
}

/** Validates an object of one expected kind; list items may lack apiVersion and kind, so those are filled in. */
export function parseGatewayResource(raw: unknown, kind: GatewayKind): Result<GatewayResource> {
  const info = GATEWAY_KINDS.find((k) => k.kind === kind);
  if (info === undefined) return { ok: false, errors: [{ path: 'kind', message: `is not served: ${kind}` }] };
  const obj =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? (raw as Record<string, unknown>)
      : undefined;
  const given = obj?.apiVersion;
  const version =
    typeof given === 'string' &&
    given.startsWith(`${info.group}/`) &&
    info.versions.includes(given.slice(info.group.length + 1))
      ? given
      : `${info.group}/${info.versions[0]}`;
  const typed = obj === undefined ? raw : { ...obj, apiVersion: version, kind: obj.kind ?? kind };
  return info.validate(typed, version);
}
