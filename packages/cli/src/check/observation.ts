/** What `nodemesh check` reads from the cluster, gathered once (gather.ts), judged by pure functions. */
import type { ControllerSettings } from '../mesh/controller-settings.js';
import type { MeshPod } from '../mesh/mesh-pods.js';
import type { Sample } from '../stat/exposition.js';

/** A live probe of a pod's /readyz through the API server's pod proxy. */
export interface Probe {
  readonly ready: boolean;
  /** The status and first line of the answer, or why there was none. */
  readonly detail: string;
}

export interface ProbedPod {
  readonly pod: MeshPod;
  readonly probe: Probe;
  /** The pod's /metrics samples (identity and certificate expiries are read from them); undefined: unread. */
  readonly metrics?: readonly Sample[] | undefined;
}

export interface MeshObservation {
  /** Milliseconds since the epoch, when the reads were made. */
  readonly now: number;
  readonly server: string;
  /** `gitVersion` of /version. */
  readonly serverVersion: string | undefined;
  readonly settings: ControllerSettings;
  /** Each SMI CRD the mesh serves, by name, and its object (undefined: absent). */
  readonly crds: ReadonlyMap<string, unknown>;
  readonly controllerDeployment: unknown;
  readonly controllerPods: readonly ProbedPod[];
  readonly lease: unknown;
  /** kube-system ConfigMaps coredns, coredns-custom and kube-dns that exist, by name. */
  readonly clusterDnsConfigMaps: ReadonlyMap<string, unknown>;
  readonly dnsService: unknown;
  readonly nodes: readonly unknown[];
  readonly proxyPods: readonly ProbedPod[];
  /** Every Service of the cluster (the shadows among them). */
  readonly services: readonly unknown[];
  /** Core v1 Events of every namespace. */
  readonly events: readonly unknown[];
}
