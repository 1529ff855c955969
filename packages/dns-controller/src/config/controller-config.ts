/** The dns-controller's settings, as the flags and `NODEMESH_*` variables give them (contract.md). */

import {
  DEFAULT_MTLS_MODE,
  DEFAULT_TCP_PORT_RANGE,
  DEFAULT_UDP_PORT_RANGE,
  type MtlsMode,
  type PortRange,
  type TrafficType,
} from '@nodemesh/smi-types';
import { DEFAULT_IDENTITY_SETTINGS, type IdentitySettings } from '../identity/identity-role.js';

/** How the cluster DNS is reached: `auto` picks from the kube-system ConfigMaps found; `none` leaves it alone. */
export type ClusterDnsMode = 'auto' | 'coredns' | 'coredns-custom' | 'kube-dns' | 'none';

export const CLUSTER_DNS_MODES: readonly ClusterDnsMode[] = [
  'auto',
  'coredns',
  'coredns-custom',
  'kube-dns',
  'none',
];

export type ControllerLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ControllerConfig {
  /** A plain API server URL (local mode, tests); else `kubeconfig`; else in-cluster. */
  readonly server: string | undefined;
  readonly kubeconfig: string | undefined;
  readonly meshNamespace: string;
  readonly meshDomain: string;
  readonly dnsHost: string;
  readonly dnsPort: number;
  readonly dnsTtlSeconds: number;
  /** The Service (in the mesh namespace) the cluster DNS forwards the mesh zone to, on port 53. */
  readonly dnsService: string;
  readonly adminHost: string;
  readonly adminPort: number;
  readonly tcpPorts: PortRange;
  readonly udpPorts: PortRange;
  readonly httpEntrypoints: number;
  readonly defaultTrafficType: TrafficType;
  /**
   * The mesh-wide mTLS mode (docs/mtls.md): a Namespace's or Service's `nodemesh.io/mtls` annotation wins.
   * Written on every shadow as resolved; in `strict` the leader keeps a NetworkPolicy per Service.
   */
  readonly mtlsMode: MtlsMode;
  /** Empty: every namespace. */
  readonly watchNamespaces: readonly string[];
  readonly ignoreNamespaces: readonly string[];
  readonly leaseName: string;
  readonly leaseDurationMs: number;
  readonly leaseRenewDeadlineMs: number;
  readonly leaseRetryPeriodMs: number;
  readonly clusterDns: ClusterDnsMode;
  readonly logLevel: ControllerLogLevel;
  /** The identity role: mesh CA, trust bundle and certificate issuer (docs/identity.md). */
  readonly identityRole: boolean;
  readonly identitySettings: IdentitySettings;
}

export const DEFAULT_CONTROLLER_CONFIG: ControllerConfig = {
  server: undefined,
  kubeconfig: undefined,
  meshNamespace: 'nodemesh',
  meshDomain: 'mesh',
  dnsHost: '0.0.0.0',
  dnsPort: 5353,
  dnsTtlSeconds: 30,
  dnsService: 'nodemesh-dns',
  adminHost: '0.0.0.0',
  adminPort: 9090,
  tcpPorts: DEFAULT_TCP_PORT_RANGE,
  udpPorts: DEFAULT_UDP_PORT_RANGE,
  httpEntrypoints: 10,
  defaultTrafficType: 'http',
  mtlsMode: DEFAULT_MTLS_MODE,
  watchNamespaces: [],
  ignoreNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
  leaseName: 'nodemesh-dns-controller',
  leaseDurationMs: 15_000,
  leaseRenewDeadlineMs: 10_000,
  leaseRetryPeriodMs: 2_000,
  clusterDns: 'auto',
  logLevel: 'info',
  identityRole: false,
  identitySettings: DEFAULT_IDENTITY_SETTINGS,
};
