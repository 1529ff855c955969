/**
 * CustomResourceDefinitions for the Gateway API kinds Nodemesh reads, for the in-memory API server of local
 * mode and the tests. On a real cluster users install the upstream CRDs (docs/install.md); these are written
 * here from the fields Nodemesh serves (the validators in this folder), so the API server keeps exactly what
 * the components read, and the status they write.
 */
import type { CustomResourceDefinition } from '../crds/definitions.js';
import {
  integer,
  type JsonSchema,
  list,
  nullable,
  object,
  oneOfStrings,
  string,
} from '../crds/schema-builders.js';
import { GATEWAY_KINDS, type GatewayKindInfo } from './kinds.js';

const name = string({ minLength: 1, maxLength: 253 });
const port = integer(1, 65535);

const parentRef = object(
  {
    group: string(),
    kind: string(),
    namespace: string(),
    name,
    port,
    sectionName: string(),
  },
  ['name'],
);

const backendRef = object(
  {
    group: string(),
    kind: string(),
    namespace: string(),
    name,
    port,
    weight: integer(0, 1_000_000),
    filters: list({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }),
  },
  ['name'],
);

const valueMatch = object(
  { type: oneOfStrings(['Exact', 'RegularExpression']), name: string(), value: string() },
  ['name', 'value'],
);

const headerModifier = object({
  set: list(object({ name: string(), value: string() }, ['name', 'value'])),
  add: list(object({ name: string(), value: string() }, ['name', 'value'])),
  remove: list(string()),
});

const pathModifier = object(
  {
    type: oneOfStrings(['ReplaceFullPath', 'ReplacePrefixMatch']),
    replaceFullPath: string(),
    replacePrefixMatch: string(),
  },
  ['type'],
);

const filter = (types: readonly string[]): JsonSchema =>
  object(
    {
      type: oneOfStrings(types),
      requestHeaderModifier: headerModifier,
      responseHeaderModifier: headerModifier,
      requestRedirect: object({
        scheme: oneOfStrings(['http', 'https']),
        hostname: string(),
        path: pathModifier,
        port,
        statusCode: integer(301, 308),
      }),
      urlRewrite: object({ hostname: string(), path: pathModifier }),
      requestMirror: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      extensionRef: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
    ['type'],
  );

const HTTP_FILTERS = [
  'RequestHeaderModifier',
  'ResponseHeaderModifier',
  'RequestRedirect',
  'URLRewrite',
  'RequestMirror',
  'ExtensionRef',
];

const httpRouteSpec = object({
  parentRefs: list(parentRef, { maxItems: 32 }),
  hostnames: list(string()),
  rules: list(
    object({
      name: string(),
      matches: list(
        object({
          path: object({ type: oneOfStrings(['Exact', 'PathPrefix', 'RegularExpression']), value: string() }),
          headers: list(valueMatch),
          queryParams: list(valueMatch),
          method: oneOfStrings([
            'GET',
            'HEAD',
            'POST',
            'PUT',
            'DELETE',
            'CONNECT',
            'OPTIONS',
            'TRACE',
            'PATCH',
          ]),
        }),
        { maxItems: 64 },
      ),
      filters: list(filter(HTTP_FILTERS), { maxItems: 16 }),
      backendRefs: list(backendRef, { maxItems: 16 }),
      timeouts: object({ request: string(), backendRequest: string() }),
      retry: object({ codes: list(integer(400, 599)), attempts: integer(0, 100), backoff: string() }),
    }),
    { maxItems: 16 },
  ),
});

const grpcRouteSpec = object({
  parentRefs: list(parentRef, { maxItems: 32 }),
  hostnames: list(string()),
  rules: list(
    object({
      name: string(),
      matches: list(
        object({
          method: object({
            type: oneOfStrings(['Exact', 'RegularExpression']),
            service: string(),
            method: string(),
          }),
          headers: list(valueMatch),
        }),
        { maxItems: 64 },
      ),
      filters: list(
        filter(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef']),
        { maxItems: 16 },
      ),
      backendRefs: list(backendRef, { maxItems: 16 }),
    }),
    { maxItems: 16 },
  ),
});

const tcpRouteSpec = object(
  {
    parentRefs: list(parentRef, { maxItems: 32 }),
    rules: list(object({ name: string(), backendRefs: list(backendRef, { maxItems: 16 }) }), {
      minItems: 1,
      maxItems: 16,
    }),
  },
  ['rules'],
);

const referenceGrantSpec = object(
  {
    from: list(
      object({ group: string(), kind: string(), namespace: string() }, ['group', 'kind', 'namespace']),
    ),
    to: list(object({ group: string(), kind: string(), name: string() }, ['group', 'kind'])),
  },
  ['from', 'to'],
);

const condition = object(
  {
    type: string(),
    status: oneOfStrings(['True', 'False', 'Unknown']),
    reason: string(),
    message: string(),
    observedGeneration: { type: 'integer', minimum: 0 },
    lastTransitionTime: string({ format: 'date-time' }),
  },
  ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
);

/** `status.parents` of every route kind: one entry per (parentRef, controller). */
const routeStatus = object({
  parents: list(
    object({ parentRef, controllerName: string(), conditions: list(condition) }, [
      'parentRef',
      'controllerName',
    ]),
    {
      maxItems: 32,
    },
  ),
});

const SPECS: Readonly<Record<GatewayKindInfo['kind'], JsonSchema>> = {
  HTTPRoute: httpRouteSpec,
  GRPCRoute: grpcRouteSpec,
  TCPRoute: tcpRouteSpec,
  ReferenceGrant: referenceGrantSpec,
};

/** One CRD per kind Nodemesh reads, every accepted version served, the newest stored. */
export function gatewayCustomResourceDefinitions(): CustomResourceDefinition[] {
  return GATEWAY_KINDS.map((info) => {
    const isRoute = info.kind !== 'ReferenceGrant';
    const schema: JsonSchema = {
      type: 'object',
      required: ['spec'],
      properties: {
        apiVersion: string(),
        kind: string(),
        metadata: { type: 'object' },
        spec: SPECS[info.kind],
        ...(isRoute ? { status: nullable(routeStatus) } : {}),
      },
    };
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: {
        name: `${info.plural}.${info.group}`,
        labels: {
          'app.kubernetes.io/part-of': 'nodemesh',
          'gateway.networking.k8s.io/channel': info.channel,
        },
      },
      spec: {
        group: info.group,
        scope: 'Namespaced',
        names: {
          kind: info.kind,
          listKind: `${info.kind}List`,
          plural: info.plural,
          singular: info.kind.toLowerCase(),
          ...(info.kind === 'ReferenceGrant' ? { shortNames: ['refgrant'] } : {}),
        },
        versions: info.versions.map((version, i) => ({
          name: version,
          served: true as const,
          storage: i === 0,
          schema: { openAPIV3Schema: schema },
          ...(isRoute ? { subresources: { status: {} } } : {}),
        })),
      },
    };
  });
}
