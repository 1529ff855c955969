/**
 * The node-proxy's identity metrics: certificates issued and renewed, failed requests by reason, and at scrape
 * time the expiry of every certificate held and every trusted root, and how many certificates are overdue for
 * renewal (past half their life: the issuer has been out of reach longer than the renewal margin). Cells on
 * the proxy's registry; with `--workers N` only the primary (which holds the certificates) registers them.
 */
import {
  type CounterCell,
  type FamilySnapshot,
  labelText,
  type MetricsRegistry,
} from '@nodemesh/kube-runtime/metrics';
import { type HeldCertificate, isOverdue } from './held-certificate.js';
import { sha256Hex, type TrustBundle } from './trust-bundle.js';

export interface IdentityMetrics {
  readonly issued: CounterCell;
  readonly renewed: CounterCell;
  /** A failed request, by reason (`unreachable`, `invalid-response`, or the issuer's refusal code). */
  failed(reason: string): void;
}

export function createIdentityMetrics(
  registry: MetricsRegistry,
  sources: {
    held: () => readonly HeldCertificate[];
    bundle: () => TrustBundle | undefined;
    now: () => number;
  },
): IdentityMetrics {
  // The certificate figures are read when scraped, from what is held then.
  registry.collector((): FamilySnapshot[] => {
    const held = sources.held();
    const now = sources.now();
    return [
      {
        name: 'nodemesh_node_proxy_certificate_expiration_timestamp_seconds',
        help: 'When each workload certificate this node holds expires (Unix seconds), by ServiceAccount.',
        type: 'gauge',
        aggregation: 'first',
        series: held.map((cert) => ({
          labels: labelText(['namespace', 'service_account'], [cert.namespace, cert.serviceAccount]),
          value: Math.floor(cert.notAfter / 1000),
        })),
      },
      {
        name: 'nodemesh_node_proxy_certificates_overdue',
        help: 'Certificates held past their renewal time (half their life) because renewal keeps failing.',
        type: 'gauge',
        aggregation: 'first',
        series: [{ labels: '', value: held.filter((cert) => isOverdue(cert, now)).length }],
      },
      {
        name: 'nodemesh_node_proxy_trust_root_expiration_timestamp_seconds',
        help: 'When each root of the trust bundle this node trusts expires (Unix seconds), by SHA-256 fingerprint (first 16 hex digits).',
        type: 'gauge',
        aggregation: 'first',
        series: (sources.bundle()?.roots ?? []).map((root) => ({
          labels: labelText(['root'], [sha256Hex(root).slice(0, 16)]),
          value: Math.floor(Date.parse(root.validTo) / 1000),
        })),
      },
    ];
  });
  const issued = registry.counter({
    name: 'nodemesh_node_proxy_certificates_issued_total',
    help: 'Workload certificates obtained for a ServiceAccount this node held none for.',
  });
  const renewed = registry.counter({
    name: 'nodemesh_node_proxy_certificates_renewed_total',
    help: 'Workload certificates replaced before they expired (renewal, or a new issuer).',
  });
  const failed = registry.counter({
    name: 'nodemesh_node_proxy_certificate_requests_failed_total',
    help: 'Certificate requests that failed, by reason: unreachable, invalid-response, or the issuer’s refusal code.',
    labelNames: ['reason'],
  });
  // Shown at zero from the start, so rates and alerts have a series before the first failure.
  failed.cell('unreachable');
  return {
    issued: issued.cell(),
    renewed: renewed.cell(),
    failed: (reason) => failed.cell(reason).inc(),
  };
}
