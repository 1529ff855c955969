/**
 * The certificates of this node (docs/identity.md): one per ServiceAccount that has a pod here, each with a key
 * made here. A certificate is asked for when its ServiceAccount's first pod comes, renewed at half its life,
 * renewed early (spread over a few seconds) when the trust bundle names a new issuer or no longer trusts its
 * root, and dropped when the ServiceAccount's last pod goes or it expires. While the issuer cannot be reached
 * the certificates stay in use until they expire, retried with backoff, and metrics and Warning Events say so.
 *
 * For mTLS between node proxies (issue 15): `secureContextFor(namespace, serviceAccount)` is a TLS 1.3
 * SecureContext with that identity's key and chain, trusting the bundle's roots; it changes with each renewal.
 * With `--workers N` the workers serve the traffic: `onChange` tells them (through their primary) every
 * certificate set or dropped and every new trust bundle, and `shared()` is the whole state for a new one.
 */

import { X509Certificate } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import type { EventRecorder, Logger } from '@nodemesh/kube-runtime';
import type { MetricsRegistry } from '@nodemesh/kube-runtime/metrics';
import { spiffeIdOf } from '@nodemesh/smi-types';
import { podCaller } from '../kube/pod-callers.js';
import { acceptIssued, type HeldCertificate, renewalTime, rootOf } from './held-certificate.js';
import { createIdentityMetrics, type IdentityMetrics } from './identity-metrics.js';
import { type IdentityStore, identityContext } from './identity-store.js';
import type { IssueOutcome } from './issuer-client.js';
import { pemBlocks } from './pem.js';
import {
  type IdentityUpdate,
  identityKey,
  type SharedCertificate,
  sharedCertificate,
} from './shared-identity.js';
import { readTrustBundle, type TrustBundle } from './trust-bundle.js';
import { newWorkloadKey } from './workload-key.js';

export interface WorkloadIdentitiesOptions {
  readonly trustDomain: string;
  readonly nodeName: string;
  readonly client: {
    issue(
      body: { namespace: string; serviceAccount: string; csr: string },
      bundlePem: string,
    ): Promise<IssueOutcome>;
  };
  readonly events: Pick<EventRecorder, 'record'>;
  readonly logger: Logger;
  readonly registry: MetricsRegistry;
  /** First retry delay after a failure, doubling up to `retryMaxMs` (default 1 s → 60 s), with jitter. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Renewals caused by a new issuer are spread over this long (default 5 s). */
  readonly rotationSpreadMs?: number;
  readonly random?: () => number;
}

interface Entry {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Pods of this node running as this ServiceAccount. */
  pods: number;
  cert: HeldCertificate | undefined;
  context: SecureContext | undefined;
  failures: number;
  retryAt: number;
  /** When a renewal for a new issuer or root is due (spread), once seen. */
  rotateAt: number | undefined;
  inFlight: boolean;
  timer: NodeJS.Timeout | undefined;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class WorkloadIdentities implements IdentityStore {
  readonly #o: WorkloadIdentitiesOptions;
  readonly #entries = new Map<string, Entry>();
  /** `namespace/pod` → the ServiceAccount key it counts for. */
  readonly #pods = new Map<string, string>();
  readonly #metrics: IdentityMetrics;
  readonly #random: () => number;
  #bundle: TrustBundle | undefined;
  #stopped = false;
  readonly #listeners = new Set<(update: IdentityUpdate) => void>();

  constructor(options: WorkloadIdentitiesOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
    this.#metrics = createIdentityMetrics(options.registry, {
      held: () => this.held(),
      bundle: () => this.#bundle,
      now: Date.now,
    });
  }

  /** The trust bundle in use, once one has been read. */
  get trustBundle(): TrustBundle | undefined {
    return this.#bundle;
  }

  /** The certificates held now. */
  held(): HeldCertificate[] {
    return [...this.#entries.values()].flatMap((e) => (e.cert === undefined ? [] : [e.cert]));
  }

  certificate(namespace: string, serviceAccount: string): HeldCertificate | undefined {
    return this.#entries.get(`${namespace}/${serviceAccount}`)?.cert;
  }

  /** TLS 1.3 context of that identity (its key and chain, the bundle's roots), or undefined when none is held. */
  secureContextFor(namespace: string, serviceAccount: string): SecureContext | undefined {
    return this.#entries.get(`${namespace}/${serviceAccount}`)?.context;
  }

  /** Hears every certificate set or dropped and every new trust bundle; returns the unsubscribe. */
  onChange(listener: (update: IdentityUpdate) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Everything held now, as one update (keys included: for the node's own workers only). */
  shared(): IdentityUpdate {
    const certificates = this.held().map(
      (cert) => [identityKey(cert.namespace, cert.serviceAccount), sharedCertificate(cert)] as const,
    );
    return this.#bundle === undefined ? { certificates } : { certificates, bundlePem: this.#bundle.pem };
  }

  /** The trust bundle ConfigMap changed (undefined: gone; the last good bundle stays). */
  setTrustBundle(configMap: unknown): void {
    if (configMap === undefined) return;
    const read = readTrustBundle(configMap);
    if (!read.ok) {
      this.#o.logger.warn('the trust bundle cannot be used; keeping the last good one', {
        problem: read.problem,
      });
      return;
    }
    const before = this.#bundle;
    if (before?.pem === read.bundle.pem && before.issuerSha256 === read.bundle.issuerSha256) return;
    this.#bundle = read.bundle;
    this.#o.logger.info('trust bundle loaded', { roots: read.bundle.roots.length });
    this.#publish({ certificates: [], bundlePem: read.bundle.pem });
    for (const entry of this.#entries.values()) {
      entry.context = entry.cert === undefined ? undefined : this.#context(entry.cert);
      if (before?.issuerSha256 !== read.bundle.issuerSha256 || before?.pem !== read.bundle.pem)
        entry.rotateAt = undefined;
      this.#schedule(entry);
    }
  }

  /** A pod of this node was added or changed. */
  podChanged(obj: unknown): void {
    const caller = podCaller(obj);
    const key = podKeyOf(obj);
    if (key === undefined) return;
    const account =
      caller === undefined ? undefined : `${caller.caller.namespace}/${caller.caller.serviceAccount}`;
    const before = this.#pods.get(key);
    if (before === account) return;
    if (before !== undefined) this.#release(before);
    if (account === undefined || caller === undefined) {
      this.#pods.delete(key);
      return;
    }
    this.#pods.set(key, account);
    this.#acquire(caller.caller.namespace, caller.caller.serviceAccount);
  }

  /**
   * Holds a certificate for this ServiceAccount whatever pods come and go: the node proxies' own, which the
   * tunnel server presents (the issuer grants it: the node-proxy pod runs as it on this node).
   */
  hold(namespace: string, serviceAccount: string): void {
    this.#acquire(namespace, serviceAccount);
  }

  podDeleted(obj: unknown): void {
    const key = podKeyOf(obj);
    const before = key === undefined ? undefined : this.#pods.get(key);
    if (key === undefined || before === undefined) return;
    this.#pods.delete(key);
    this.#release(before);
  }

  stop(): void {
    this.#stopped = true;
    for (const entry of this.#entries.values()) clearTimeout(entry.timer);
  }

  /** One more pod (or holder) of this ServiceAccount; the first asks for its certificate. */
  #acquire(namespace: string, serviceAccount: string): void {
    const account = `${namespace}/${serviceAccount}`;
    let entry = this.#entries.get(account);
    if (entry === undefined) {
      entry = {
        namespace,
        serviceAccount,
        pods: 0,
        cert: undefined,
        context: undefined,
        failures: 0,
        retryAt: 0,
        rotateAt: undefined,
        inFlight: false,
        timer: undefined,
      };
      this.#entries.set(account, entry);
    }
    entry.pods += 1;
    if (entry.pods === 1) this.#schedule(entry);
  }

  #release(account: string): void {
    const entry = this.#entries.get(account);
    if (entry === undefined) return;
    entry.pods -= 1;
    if (entry.pods > 0) return;
    clearTimeout(entry.timer);
    this.#entries.delete(account);
    if (entry.cert !== undefined) {
      this.#o.logger.info('certificate dropped: no pod of it left on this node', { identity: account });
      this.#publish({ certificates: [[account, null]] });
    }
  }

  #context(cert: HeldCertificate): SecureContext | undefined {
    if (this.#bundle === undefined) return undefined;
    return identityContext(cert.keyPem, cert.chainPem, this.#bundle.pem);
  }

  /** Tells the listeners that this entry's certificate changed (set, or dropped). */
  #changed(entry: Entry): void {
    const shared: SharedCertificate | null = entry.cert === undefined ? null : sharedCertificate(entry.cert);
    this.#publish({ certificates: [[identityKey(entry.namespace, entry.serviceAccount), shared]] });
  }

  #publish(update: IdentityUpdate): void {
    for (const listener of this.#listeners) {
      try {
        listener(update);
      } catch (error) {
        this.#o.logger.warn('an identity listener failed', { error });
      }
    }
  }

  /** When this entry next needs a request, or undefined when it needs none (no bundle yet). */
  #dueAt(entry: Entry, now: number): number | undefined {
    const bundle = this.#bundle;
    if (bundle === undefined) return undefined;
    const cert = entry.cert;
    let due: number;
    if (cert === undefined) {
      due = now;
    } else {
      due = renewalTime(cert);
      if (this.#needsRotation(cert, bundle)) {
        entry.rotateAt ??= now + this.#random() * (this.#o.rotationSpreadMs ?? 5_000);
        due = Math.min(due, entry.rotateAt);
      }
    }
    return entry.failures > 0 ? Math.max(due, entry.retryAt) : due;
  }

  /** A certificate signed by an issuer other than the one published, or whose root is no longer trusted. */
  #needsRotation(cert: HeldCertificate, bundle: TrustBundle): boolean {
    if (bundle.issuerSha256 !== undefined && bundle.issuerSha256 !== cert.issuerSha256) return true;
    const chain = pemBlocks(cert.chainPem, 'CERTIFICATE').map((pem) => new X509Certificate(pem));
    return rootOf(chain, bundle) === undefined;
  }

  #schedule(entry: Entry): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (this.#stopped || this.#entries.get(`${entry.namespace}/${entry.serviceAccount}`) !== entry) return;
    const now = Date.now();
    if (entry.cert !== undefined && entry.cert.notAfter <= now) this.#expire(entry);
    if (entry.inFlight) return;
    const due = this.#dueAt(entry, now);
    if (due === undefined) return;
    // Wake for the request, or for the expiry of the certificate held, whichever comes first.
    const wake = entry.cert === undefined ? due : Math.min(due, entry.cert.notAfter);
    entry.timer = setTimeout(
      () => {
        entry.timer = undefined;
        if (Date.now() >= due) void this.#request(entry);
        else this.#schedule(entry);
      },
      Math.min(Math.max(0, wake - now), MAX_TIMER_MS),
    );
    entry.timer.unref();
  }

  #expire(entry: Entry): void {
    const cert = entry.cert;
    if (cert === undefined) return;
    entry.cert = undefined;
    entry.context = undefined;
    this.#changed(entry);
    const message = `node ${this.#o.nodeName}: the certificate of ${cert.spiffeId} expired and could not be renewed; this ServiceAccount has no identity on this node until the issuer answers`;
    this.#o.logger.error('certificate expired', { identity: cert.spiffeId });
    this.#o.events.record(this.#accountRef(entry), 'Warning', 'CertificateExpired', message);
  }

  #accountRef(entry: Entry) {
    return {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      namespace: entry.namespace,
      name: entry.serviceAccount,
    };
  }

  async #request(entry: Entry): Promise<void> {
    const bundle = this.#bundle;
    if (bundle === undefined || entry.inFlight) return;
    entry.inFlight = true;
    const identity = {
      trustDomain: this.#o.trustDomain,
      namespace: entry.namespace,
      serviceAccount: entry.serviceAccount,
    };
    const spiffeId = spiffeIdOf(identity);
    try {
      const key = await newWorkloadKey();
      const outcome = await this.#o.client.issue(
        { namespace: entry.namespace, serviceAccount: entry.serviceAccount, csr: key.csrPem },
        bundle.pem,
      );
      const now = Date.now();
      if (outcome.kind === 'issued') {
        const accepted = acceptIssued(
          outcome.response,
          { ...identity, spiffeId },
          key.keyPem,
          this.#bundle ?? bundle,
          now,
        );
        if (typeof accepted === 'string') this.#failed(entry, 'invalid-response', accepted, now);
        else this.#accepted(entry, accepted);
      } else if (outcome.kind === 'refused') {
        this.#failed(entry, outcome.error.code, `the issuer refused: ${outcome.error.message}`, now);
      } else {
        this.#failed(entry, 'unreachable', `the issuer is unreachable (${outcome.message})`, now);
      }
    } catch (error) {
      this.#failed(entry, 'invalid-response', `certificate request failed: ${String(error)}`, Date.now());
    } finally {
      entry.inFlight = false;
      this.#schedule(entry);
    }
  }

  #accepted(entry: Entry, cert: HeldCertificate): void {
    const renewal = entry.cert !== undefined;
    entry.cert = cert;
    entry.context = this.#context(cert);
    entry.failures = 0;
    entry.rotateAt = undefined;
    (renewal ? this.#metrics.renewed : this.#metrics.issued).inc();
    this.#changed(entry);
    this.#o.logger.info(renewal ? 'certificate renewed' : 'certificate issued', {
      identity: cert.spiffeId,
      notAfter: new Date(cert.notAfter).toISOString(),
    });
  }

  #failed(entry: Entry, reason: string, problem: string, now: number): void {
    entry.failures += 1;
    const initial = this.#o.retryInitialMs ?? 1_000;
    const max = this.#o.retryMaxMs ?? 60_000;
    const delay = Math.min(max, initial * 2 ** Math.min(entry.failures - 1, 30));
    entry.retryAt = now + delay * (0.5 + this.#random() / 2);
    this.#metrics.failed(reason);
    const keeping =
      entry.cert === undefined
        ? 'it has no certificate yet'
        : `the certificate in use stays valid until ${new Date(entry.cert.notAfter).toISOString()}`;
    this.#o.logger.warn('certificate request failed', {
      identity: `${entry.namespace}/${entry.serviceAccount}`,
      reason,
      problem,
    });
    this.#o.events.record(
      this.#accountRef(entry),
      'Warning',
      reason === 'unreachable' ? 'IdentityIssuerUnreachable' : 'CertificateRequestFailed',
      `node ${this.#o.nodeName} cannot get a certificate for ${entry.namespace}/${entry.serviceAccount}: ${problem}; ${keeping}`,
    );
  }
}

function podKeyOf(obj: unknown): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const metadata = (obj as { metadata?: { namespace?: unknown; name?: unknown } }).metadata;
  return typeof metadata?.namespace === 'string' && typeof metadata.name === 'string'
    ? `${metadata.namespace}/${metadata.name}`
    : undefined;
}
