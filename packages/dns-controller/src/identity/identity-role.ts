/**
 * The `identity` role of the control plane (docs/identity.md). Every replica watches the one issuer Secret
 * (selected by name, so RBAC grants that name alone), hot-reloads it when it changes, and serves certificate
 * requests with it over TLS. The leader alone writes: it creates the root and issuer once when there is no
 * Secret at all, and publishes the trust bundle ConfigMap. A Secret that cannot be used gets a Warning Event
 * and leaves the last good issuer in place.
 */
import {
  ApiStatusError,
  type EventRecorder,
  type Logger,
  type ObjectReference,
} from '@nodemesh/kube-runtime';
import {
  DEFAULT_CERTIFICATE_TTL_SECONDS,
  DEFAULT_ISSUER_PORT,
  DEFAULT_ISSUER_SECRET,
  DEFAULT_NODE_PROXY_SERVICE_ACCOUNT,
  DEFAULT_TRUST_DOMAIN,
  IDENTITY_TOKEN_AUDIENCE,
  ISSUER_SECRET_EXTRA_ROOTS_KEY,
  issuerServerName,
  LABEL_PART_OF,
  LABEL_PART_OF_VALUE,
  TRUST_BUNDLE_CONFIG_MAP,
} from '@nodemesh/smi-types';
import type { Registry } from 'prom-client';
import { configMapPath, type KubeApi } from '../kube/kube-api.js';
import { type NodePod, type ReviewedToken, readNodePod, readTokenReview } from './authorize-issuance.js';
import { createIdentityMetrics, type IdentityMetrics } from './identity-metrics.js';
import { type IssuerMaterial, readIssuerMaterial } from './issuer-material.js';
import { IssuerServer } from './issuer-server.js';
import { generateCa, servingCertificate } from './sign-certificates.js';
import { planTrustBundle, trustBundleData } from './trust-bundle.js';

export interface IdentitySettings {
  readonly trustDomain: string;
  /** The issuer Secret in the mesh namespace. */
  readonly issuerSecret: string;
  readonly issuerHost: string;
  readonly issuerPort: number;
  readonly certificateTtlSeconds: number;
  /** Create a root and issuer when the Secret is absent (off: wait for one to be provided, e.g. by cert-manager). */
  readonly createIssuer: boolean;
  readonly nodeProxyServiceAccount: string;
}

export const DEFAULT_IDENTITY_SETTINGS: IdentitySettings = {
  trustDomain: DEFAULT_TRUST_DOMAIN,
  issuerSecret: DEFAULT_ISSUER_SECRET,
  issuerHost: '0.0.0.0',
  issuerPort: DEFAULT_ISSUER_PORT,
  certificateTtlSeconds: DEFAULT_CERTIFICATE_TTL_SECONDS,
  createIssuer: true,
  nodeProxyServiceAccount: DEFAULT_NODE_PROXY_SERVICE_ACCOUNT,
};

export interface IdentityRoleOptions {
  readonly settings: IdentitySettings;
  readonly meshNamespace: string;
  readonly api: KubeApi;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly registry: Registry;
  /** The issuer Secret as the informer holds it now (undefined: absent). */
  readonly secret: () => unknown;
  /** Asks the leader's identity reconcile to run. */
  readonly requestSync: () => void;
}

export class IdentityRole {
  readonly #o: IdentityRoleOptions;
  readonly #server: IssuerServer;
  readonly metrics: IdentityMetrics;
  #material: IssuerMaterial | undefined;
  /** The Secret's resourceVersion last read, so a resync does not re-read an unchanged Secret. */
  #readVersion: string | undefined;
  #servingTimer: NodeJS.Timeout | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: IdentityRoleOptions) {
    this.#o = options;
    const { settings, meshNamespace, api, logger } = options;
    this.metrics = createIdentityMetrics(options.registry, () => this.#material);
    this.#server = new IssuerServer({
      host: settings.issuerHost,
      port: settings.issuerPort,
      policy: { meshNamespace, nodeProxyServiceAccount: settings.nodeProxyServiceAccount },
      trustDomain: settings.trustDomain,
      certificateTtlMs: settings.certificateTtlSeconds * 1000,
      material: () => this.#material,
      reviewToken: (token) => reviewToken(api, token),
      nodePods: (node) => podsOfNode(api, node),
      onIssued: () => this.metrics.issued.inc(),
      onRefused: (error) => {
        this.metrics.refused.inc({ code: error.code });
        logger.warn('certificate request refused', { code: error.code, reason: error.message });
      },
      logger,
    });
  }

  /** The issuer in use, if any. */
  get material(): IssuerMaterial | undefined {
    return this.#material;
  }

  /** Where the issuer listens, once it has an issuer to serve with. */
  get port(): number | undefined {
    return this.#server.port;
  }

  notReady(): string[] {
    return this.#material === undefined ? ['no usable issuer Secret yet'] : [];
  }

  /** The informer saw the Secret change (or go): re-read it. Calls never overlap. */
  secretChanged(): void {
    this.#reloading = this.#reloading
      .then(() => this.#reload())
      .catch((error: unknown) => {
        this.#o.logger.error('issuer reload failed', { error });
      });
  }

  /** Waits for reloads under way (tests). */
  settled(): Promise<void> {
    return this.#reloading;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#servingTimer);
    await this.#reloading;
    await this.#server.stop();
  }

  /**
   * The leader's reconcile: create the issuer Secret if there is none, publish the trust bundle. When the
   * Secret was deleted while an issuer was in use, the new one keeps trusting the roots in use (in
   * `extra-roots.crt`), so certificates already out stay valid while every node renews: a rotation, not a flag day.
   */
  async leaderSync(secretListed: boolean): Promise<void> {
    const { settings, meshNamespace, api, logger } = this.#o;
    if (secretListed && this.#o.secret() === undefined && settings.createIssuer) {
      const ca = await generateCa(settings.trustDomain, new Date());
      const previousRoots = this.#material?.rootsPem;
      try {
        await api.create(`/api/v1/namespaces/${encodeURIComponent(meshNamespace)}/secrets`, {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'kubernetes.io/tls',
          metadata: {
            name: settings.issuerSecret,
            namespace: meshNamespace,
            labels: { [LABEL_PART_OF]: LABEL_PART_OF_VALUE },
          },
          stringData:
            previousRoots === undefined
              ? ca.secretData
              : { ...ca.secretData, [ISSUER_SECRET_EXTRA_ROOTS_KEY]: previousRoots },
        });
        logger.info('created a new root and issuer', { secret: `${meshNamespace}/${settings.issuerSecret}` });
        this.#o.events.record(
          this.#secretRef(),
          'Normal',
          'IssuerCreated',
          'created a self-signed root and an issuer (ECDSA P-256)',
        );
      } catch (error) {
        // Another replica, or an operator, got there first: that Secret is the one.
        if (!(error instanceof ApiStatusError && error.statusCode === 409)) throw error;
      }
    }
    const material = this.#material;
    if (material === undefined) return;
    const path = configMapPath(meshNamespace, TRUST_BUNDLE_CONFIG_MAP);
    const write = planTrustBundle(await api.get(path), trustBundleData(material), meshNamespace);
    if (write.kind === 'create') await api.create(configMapPath(meshNamespace), write.body);
    if (write.kind === 'replace') await api.replace(path, write.body);
    if (write.kind !== 'none') {
      logger.info('trust bundle published', {
        roots: material.roots.length,
        issuer: material.issuerSha256.slice(0, 16),
      });
    }
  }

  #secretRef(): ObjectReference {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: this.#o.meshNamespace,
      name: this.#o.settings.issuerSecret,
    };
  }

  async #reload(): Promise<void> {
    if (this.#stopped) return;
    const secret = this.#o.secret() as
      | { metadata?: { resourceVersion?: string }; data?: unknown }
      | undefined;
    if (secret === undefined) {
      // The issuer stays in memory: a deleted Secret must not stop issuance until something replaces it.
      this.#readVersion = undefined;
      if (this.#material !== undefined)
        this.#o.logger.warn('the issuer Secret is gone; issuing with the last one read');
      this.#o.requestSync();
      return;
    }
    const version = secret.metadata?.resourceVersion;
    if (version !== undefined && version === this.#readVersion) return;
    this.#readVersion = version;
    const read = await readIssuerMaterial(secret.data, new Date());
    if (!read.ok) {
      this.#o.logger.warn('the issuer Secret cannot be used; keeping the last good issuer', {
        problem: read.problem,
      });
      this.#o.events.record(this.#secretRef(), 'Warning', 'InvalidIssuer', read.problem);
      return;
    }
    const before = this.#material;
    const changed =
      before === undefined ||
      before.issuerSha256 !== read.material.issuerSha256 ||
      before.rootsPem !== read.material.rootsPem;
    if (!changed) return;
    this.#material = read.material;
    this.#o.logger.info('issuer loaded', {
      issuer: read.material.issuerSha256.slice(0, 16),
      roots: read.material.roots.length,
      notAfter: read.material.issuer.validTo,
    });
    await this.#refreshServing();
    this.#o.requestSync();
  }

  /** A new serving key and certificate from the current issuer; again at half its life. */
  async #refreshServing(): Promise<void> {
    const material = this.#material;
    if (material === undefined || this.#stopped) return;
    const name = issuerServerName(this.#o.meshNamespace);
    const ttlMs = this.#o.settings.certificateTtlSeconds * 1000;
    const { keyPem, certificate } = await servingCertificate(
      material,
      [name, `${name}.cluster.local`],
      ttlMs,
      new Date(),
    );
    await this.#server.serve({ keyPem, certPem: certificate.chainPem });
    clearTimeout(this.#servingTimer);
    const renewIn = Math.max(1_000, (certificate.notAfter.getTime() - Date.now()) / 2);
    this.#servingTimer = setTimeout(
      () => {
        this.#reloading = this.#reloading
          .then(() => this.#refreshServing())
          .catch((error: unknown) => {
            this.#o.logger.error('serving certificate renewal failed', { error });
          });
      },
      Math.min(renewIn, 2 ** 31 - 1),
    );
    this.#servingTimer.unref();
  }
}

async function reviewToken(api: KubeApi, token: string): Promise<ReviewedToken> {
  const answer = await api.create('/apis/authentication.k8s.io/v1/tokenreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token, audiences: [IDENTITY_TOKEN_AUDIENCE] },
  });
  return readTokenReview(answer);
}

async function podsOfNode(api: KubeApi, node: string): Promise<NodePod[]> {
  const items = await api.list(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`);
  return items.map(readNodePod).filter((p): p is NodePod => p !== undefined);
}
