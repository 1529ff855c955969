/**
 * The multi-node end-to-end harness: network namespaces as hosts, iptables DNAT as kube-proxy, dnsmasq as
 * the cluster DNS, and bounded clients run inside the namespaces. See e2e/README.md.
 */
export * from './addressing.js';
export { type Capture, type CaptureOptions, startCapture } from './capture.js';
export { type ClientOptions, curl, type DigOptions, dig, tcpExchange, udpExchange } from './clients.js';
export {
  Cluster,
  type ClusterOptions,
  type ControlPlane,
  type NodeHost,
  type Place,
  type Pod,
} from './cluster.js';
export { type ClusterDns, type ClusterDnsOptions, type ForwardZone, startClusterDns } from './cluster-dns.js';
export { type CommandResult, describeFailure, runCommand } from './command.js';
export { type InnerRunCounts, leftoversOfInnerRun, readInnerRunCounts } from './isolated-report.js';
export { assertIsolatedRunner, type IsolatedRun, runIsolated } from './isolation.js';
export { KubeProxy } from './kube-proxy.js';
export type { Endpoint, Protocol, ServiceRule } from './kube-proxy-rules.js';
export {
  findLeftovers,
  isAlive,
  type LeftoverQuery,
  type Leftovers,
  removeStaleRuns,
  runQuery,
} from './leftovers.js';
export { waitForLog } from './log-wait.js';
export { linkTag, runPrefix } from './names.js';
export { mustRunIn, runIn } from './netns.js';
export { NetworkPolicyEnforcer } from './network-policy.js';
export {
  type NetworkPolicy,
  type NodePolicyInput,
  type PolicyPod,
  parseNetworkPolicy,
  renderNodePolicyRules,
} from './network-policy-rules.js';
export {
  type CaptureVerdict,
  flowStreams,
  judgeCapture,
  type TcpSegment,
  tcpSegments,
  tlsRecords,
} from './pcap.js';
export { waitForPort } from './port-wait.js';
export { harnessSkipReason } from './preflight.js';
export type { ManagedProcess, ProcessExit, ProcessSpec } from './process.js';
export { setResolver } from './resolver.js';
export { type Identity, parseIdentity, startIdentityServer, startStubDns } from './servers.js';
