/**
 * What the primary and its workers say to each other over the cluster IPC channel (structured clone, so
 * Maps cross as Maps). The primary is the only writer of inputs; a worker only reports.
 */
import type { LogLevel } from '@nodemesh/kube-runtime/logger';
import type { FamilySnapshot } from '@nodemesh/kube-runtime/metrics';
import type { ReceivedIdentity } from '../identity/received-identities.js';
import type { IdentityUpdate } from '../identity/shared-identity.js';
import type { PodCaller } from '../metrics/caller-index.js';
import type { NodeProxyOptions } from '../node-proxy.js';
import type { TunnelSettings } from '../tunnel/inbound-tunnel.js';
import type { NodeProxyPod } from '../tunnel/node-proxy-directory.js';
import type { InputDelta } from './input-delta.js';

/** A worker's NodeProxy options: the ones that survive a structured clone, plus how to bind. */
export interface WorkerSettings
  extends Pick<
    NodeProxyOptions,
    | 'listenHost'
    | 'drainMs'
    | 'http'
    | 'udp'
    | 'connections'
    | 'upstream'
    | 'accessControl'
    | 'tracing'
    | 'retryBudget'
    | 'retryBodyLimit'
    | 'mtls'
  > {
  /** How many workers share the node. */
  readonly workers: number;
  readonly logLevel: LogLevel;
  /** The tunnel server (mTLS between node proxies), served by every worker on the shared port; absent: none. */
  readonly tunnel?: TunnelSettings;
  /** `<kind>:<port>` → the port to bind instead (tests); the snapshot's port otherwise. */
  readonly bindPorts?: Readonly<Record<string, number>>;
}

export type ToWorker =
  | { readonly type: 'init'; readonly settings: WorkerSettings }
  /** The next inputs as changes from the previous ones this worker got (`seq` counts them). */
  | { readonly type: 'inputs'; readonly seq: number; readonly delta: InputDelta; readonly synced: boolean }
  /** Apply the current snapshot again (listeners that failed to open are retried). */
  | { readonly type: 'resync'; readonly seq: number }
  /** Pods of the node that can call: set, or removed (null). */
  | { readonly type: 'callers'; readonly pods: readonly (readonly [string, PodCaller | null])[] }
  /** Node proxies of the cluster, for the tunnel: set, or removed (null). */
  | { readonly type: 'node-proxies'; readonly pods: readonly (readonly [string, NodeProxyPod | null])[] }
  /** Workload identities of the node (keys, chains, trust bundle): changes, or the whole state. */
  | { readonly type: 'identities'; readonly update: IdentityUpdate }
  | { readonly type: 'scrape'; readonly id: number }
  /** Which identities the worker holds (no keys). */
  | { readonly type: 'identity-status'; readonly id: number }
  /** Drain and exit. */
  | { readonly type: 'stop' };

export type FromWorker =
  /** The worker listens for messages (sent once its modules are loaded; anything sent earlier is lost). */
  | { readonly type: 'loaded' }
  /** The worker has started (no listener yet) and waits for inputs. */
  | { readonly type: 'started' }
  /** Inputs `seq` are applied: snapshot `version`, and whether every listener of it is open (else why). */
  | {
      readonly type: 'applied';
      readonly seq: number;
      readonly version: number;
      readonly ready: boolean;
      readonly reason: string;
    }
  | { readonly type: 'metrics'; readonly id: number; readonly families: readonly FamilySnapshot[] }
  | {
      readonly type: 'identity-status';
      readonly id: number;
      readonly identities: readonly ReceivedIdentity[];
    };

const TO_WORKER = new Set([
  'init',
  'inputs',
  'resync',
  'callers',
  'node-proxies',
  'identities',
  'scrape',
  'identity-status',
  'stop',
]);
const FROM_WORKER = new Set(['loaded', 'started', 'applied', 'metrics', 'identity-status']);

const typed = (message: unknown): string | undefined =>
  typeof message === 'object' && message !== null && 'type' in message && typeof message.type === 'string'
    ? message.type
    : undefined;

export function isToWorker(message: unknown): message is ToWorker {
  return TO_WORKER.has(typed(message) ?? '');
}

export function isFromWorker(message: unknown): message is FromWorker {
  return FROM_WORKER.has(typed(message) ?? '');
}
