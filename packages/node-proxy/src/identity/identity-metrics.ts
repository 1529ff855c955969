/**
 * The node-proxy's identity metrics: certificates issued and renewed, failed requests by reason, and at scrape
 * time the expiry of every certificate held and every trusted root, and how many certificates are overdue for
 * renewal (past half their life: the issuer has been out of reach longer than the renewal margin).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { type HeldCertificate, isOverdue } from './held-certificate.js';
import { sha256Hex, type TrustBundle } from './trust-bundle.js';

export interface IdentityMetrics {
  readonly issued: Counter;
  readonly renewed: Counter;
  readonly failed: Counter<'reason'>;
}

export function createIdentityMetrics(
  registry: Registry,
  sources: {
    held: () => readonly HeldCertificate[];
    bundle: () => TrustBundle | undefined;
    now: () => number;
  },
): IdentityMetrics {
  const registers = [registry];
  new Gauge({
    name: 'nodemesh_node_proxy_certificate_expiration_timestamp_seconds',
    help: 'When each workload certificate this node holds expires (Unix seconds), by ServiceAccount.',
    labelNames: ['namespace', 'service_account'],
    registers,
    collect() {
      this.reset();
      for (const cert of sources.held()) {
        this.set(
          { namespace: cert.namespace, service_account: cert.serviceAccount },
          Math.floor(cert.notAfter / 1000),
        );
      }
    },
  });
  new Gauge({
    name: 'nodemesh_node_proxy_certificates_overdue',
    help: 'Certificates held past their renewal time (half their life) because renewal keeps failing.',
    registers,
    collect() {
      const now = sources.now();
      this.set(sources.held().filter((cert) => isOverdue(cert, now)).length);
    },
  });
  new Gauge({
    name: 'nodemesh_node_proxy_trust_root_expiration_timestamp_seconds',
    help: 'When each root of the trust bundle this node trusts expires (Unix seconds), by SHA-256 fingerprint (first 16 hex digits).',
    labelNames: ['root'],
    registers,
    collect() {
      this.reset();
      for (const root of sources.bundle()?.roots ?? []) {
        this.set({ root: sha256Hex(root).slice(0, 16) }, Math.floor(Date.parse(root.validTo) / 1000));
      }
    },
  });
  const metrics = {
    issued: new Counter({
      name: 'nodemesh_node_proxy_certificates_issued_total',
      help: 'Workload certificates obtained for a ServiceAccount this node held none for.',
      registers,
    }),
    renewed: new Counter({
      name: 'nodemesh_node_proxy_certificates_renewed_total',
      help: 'Workload certificates replaced before they expired (renewal, or a new issuer).',
      registers,
    }),
    failed: new Counter({
      name: 'nodemesh_node_proxy_certificate_requests_failed_total',
      help: 'Certificate requests that failed, by reason: unreachable, invalid-response, or the issuer’s refusal code.',
      labelNames: ['reason'],
      registers,
    }),
  };
  metrics.issued.inc(0);
  metrics.renewed.inc(0);
  metrics.failed.inc({ reason: 'unreachable' }, 0);
  return metrics;
}
