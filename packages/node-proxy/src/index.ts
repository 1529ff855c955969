/** @nodemesh/node-proxy: the per-node data plane. */

export { OptionalCollection } from '@nodemesh/kube-runtime';
export { type AdminSources, createAdminServer } from './admin/admin-server.js';
export { chooseBackend } from './balancer/choose-target.js';
export { EndpointBalancer, pickPowerOfTwo } from './balancer/endpoint-balancer.js';
export { defaultRandom, type RandomSource, seededRandom } from './balancer/random.js';
export { pickWeighted } from './balancer/weighted-choice.js';
export { envName, type ParsedCommand, parseCommandLine, type RunFlags } from './cli/flags.js';
export type { DataPlane } from './data-plane.js';
export { type HeldCertificate, renewalTime } from './identity/held-certificate.js';
export { type IssueOutcome, IssuerClient, type IssuerClientOptions } from './identity/issuer-client.js';
export { peerIdentity } from './identity/peer-identity.js';
export { readTrustBundle, type TrustBundle } from './identity/trust-bundle.js';
export { WorkloadIdentities, type WorkloadIdentitiesOptions } from './identity/workload-identities.js';
export { newWorkloadKey, type WorkloadKey } from './identity/workload-key.js';
export { registerInformerMetrics } from './kube/informer-metrics.js';
export { InputAssembler, type InputAssemblerOptions, type InputChanges } from './kube/input-assembler.js';
export { LastGoodStore } from './kube/last-good-store.js';
export { type PodCaller, PodCallerIndex, podCaller } from './kube/pod-callers.js';
export type { Rejection, RejectionSink } from './kube/rejection.js';
export { portAllowed, type ShadowEntry } from './kube/shadow-entry.js';
export { SMI_COLLECTIONS, type SmiCollection, smiCollectionPath } from './kube/smi-kinds.js';
export {
  type IdentityOptions,
  type PolicyFlags,
  type RunningControlLoop,
  type RunningNodeProxy,
  type StartNodeProxyFleetOptions,
  type StartNodeProxyOptions,
  startNodeProxy,
  startNodeProxyFleet,
} from './kube/start-node-proxy.js';
export { forward, headersToObject, type ResponseSink, type UpstreamControl } from './listeners/forward.js';
export {
  forwardRequestHeaders,
  HOP_BY_HOP_HEADERS,
  MESH_HEADER_PREFIX,
} from './listeners/forward-headers.js';
export {
  DEFAULT_HTTP_ENTRYPOINT_OPTIONS,
  HttpEntrypoint,
  type HttpEntrypointOptions,
} from './listeners/http-entrypoint.js';
export { type ProxyError, proxyErrors } from './listeners/http-errors.js';
export type { Listener, ListenerKind, RoutingContext } from './listeners/listener.js';
export {
  type ListenerFailure,
  ListenerManager,
  type ListenerManagerOptions,
} from './listeners/listener-manager.js';
export { TcpListener } from './listeners/tcp-listener.js';
export { DEFAULT_UDP_OPTIONS, UdpListener, type UdpListenerOptions } from './listeners/udp-listener.js';
export { DEFAULT_UPSTREAM_OPTIONS, type UpstreamOptions, UpstreamPools } from './listeners/upstream-pools.js';
export { CallerIndex } from './metrics/caller-index.js';
export {
  type Caller,
  type CallerResolver,
  staticCallers,
  unknownCallers,
} from './metrics/caller-resolver.js';
export {
  CallerMeters,
  DestinationMeters,
  ProxyMetrics,
  statusClass,
  type TrafficLabels,
} from './metrics/proxy-metrics.js';
export { NodeProxy, type NodeProxyOptions } from './node-proxy.js';
export {
  type AccessDecision,
  type AccessPolicy,
  type AccessProtocol,
  type AccessQuery,
  checkAccess,
  type DenyReason,
  EMPTY_ACCESS_POLICY,
} from './policy/access-policy.js';
export { compileAccessPolicy } from './policy/compile-access-policy.js';
export { IDENTITY_HEADERS, isIdentityHeader } from './policy/identity-headers.js';
export {
  type BreakerState,
  CircuitBreaker,
  CircuitBreakers,
  CircuitOpenError,
} from './resilience/circuit-breakers.js';
export { DEFAULT_RETRY_BUDGET, RetryBudget, type RetryBudgetConfig } from './resilience/retry-budget.js';
export { TokenBucket, type TokenBucketConfig } from './resilience/token-bucket.js';
export { hostKeys, normaliseHost } from './snapshot/host.js';
export * from './snapshot/snapshot.js';
export { snapshotToJson } from './snapshot/snapshot-json.js';
export {
  type EndpointSliceView,
  LABEL_SERVICE_NAME,
  mergeEndpointSlices,
  parseEndpointSlice,
} from './topology/endpoint-slice.js';
export { meshServiceInput } from './topology/from-kubernetes.js';
export {
  compileHttpMatch,
  type HttpMatchRule,
  type MatchableRequest,
  matchesAny,
  matchesRule,
} from './topology/http-match.js';
export * from './topology/inputs.js';
export { buildServiceRoutes, type ServiceRoutes } from './topology/service-routes.js';
export { type BuildStats, createTopologyBuilder, type TopologyBuilder } from './topology/topology-builder.js';
export { OtlpExporter, type OtlpExporterOptions } from './tracing/otlp-exporter.js';
export { formatTraceParent, parseTraceParent, type TraceParent } from './tracing/trace-context.js';
export { Tracer, type TracingOptions } from './tracing/tracer.js';
export { type CallerTunnelOptions, tunnelRouter } from './tunnel/caller-tunnel.js';
export {
  NODE_PROXY_POD_FIELDS,
  NODE_PROXY_POD_SELECTOR,
  NodeProxyDirectory,
  type NodeProxyPod,
  nodeProxyPod,
} from './tunnel/node-proxy-directory.js';
export {
  type Caller as TunnelCaller,
  type DestinationNode,
  TUNNEL_SERVER_NAME,
  TunnelClient,
  type TunnelClientCounts,
  type TunnelClientOptions,
  TunnelError,
  type TunnelErrorKind,
} from './tunnel/tunnel-client.js';
export {
  type Authorise,
  type AuthoriseRequest,
  type ConnectionRefusalKind,
  type Decision,
  REFUSAL_HEADER,
  REFUSALS,
  type RefusalKind,
} from './tunnel/tunnel-refusals.js';
export {
  type CallDecision,
  decideCall,
  type EndpointPlace,
  placeEndpoint,
  type TunnelUnavailable,
  TunnelUnavailableError,
} from './tunnel/tunnel-route.js';
export { TunnelRouter, type TunnelRouterOptions } from './tunnel/tunnel-router.js';
export {
  DEFAULT_TUNNEL_PORT,
  TunnelServer,
  type TunnelServerCounts,
  type TunnelServerOptions,
} from './tunnel/tunnel-server.js';
export { formatTunnelTarget, parseTunnelTarget, type TunnelTarget } from './tunnel/tunnel-target.js';
export { applyDelta, diffInputs, type InputDelta } from './workers/input-delta.js';
export { NodeProxyPrimary, type NodeProxyPrimaryOptions } from './workers/node-proxy-primary.js';
export { portSharing, runtimeHasReusePort } from './workers/port-sharing.js';
export { cpuLimit, defaultWorkerCount, workersFor } from './workers/worker-count.js';
export { WorkerFleet, type WorkerFleetOptions } from './workers/worker-fleet.js';
