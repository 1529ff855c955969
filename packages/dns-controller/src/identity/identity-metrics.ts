/**
 * The issuer's metrics: certificates issued, requests refused by reason, whether an issuer is loaded, and the
 * expiry (Unix seconds) of the issuer and of every trusted root. Gauges read the current issuer at scrape time.
 */
import type { IssuanceErrorCode } from '@nodemesh/smi-types';
import { ISSUANCE_ERROR_STATUS } from '@nodemesh/smi-types';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type IssuerMaterial, sha256Hex } from './issuer-material.js';

export interface IdentityMetrics {
  readonly issued: Counter;
  readonly refused: Counter<'code'>;
}

const expiry = (validTo: string) => Math.floor(Date.parse(validTo) / 1000);

export function createIdentityMetrics(
  registry: Registry,
  material: () => IssuerMaterial | undefined,
): IdentityMetrics {
  const registers = [registry];
  new Gauge({
    name: 'nodemesh_identity_issuer_ready',
    help: '1 while this replica holds a valid issuer certificate and key and serves certificate requests.',
    registers,
    collect() {
      this.set(material() === undefined ? 0 : 1);
    },
  });
  new Gauge({
    name: 'nodemesh_identity_issuer_expiration_timestamp_seconds',
    help: 'When the issuer certificate in use expires (Unix seconds).',
    registers,
    collect() {
      this.reset();
      const m = material();
      if (m !== undefined) this.set(expiry(m.issuer.validTo));
    },
  });
  new Gauge({
    name: 'nodemesh_identity_root_expiration_timestamp_seconds',
    help: 'When each root of the trust bundle expires (Unix seconds), by SHA-256 fingerprint (first 16 hex digits).',
    labelNames: ['root'],
    registers,
    collect() {
      this.reset();
      for (const root of material()?.roots ?? [])
        this.set({ root: sha256Hex(root).slice(0, 16) }, expiry(root.validTo));
    },
  });
  const issued = new Counter({
    name: 'nodemesh_identity_certificates_issued_total',
    help: 'Workload certificates signed for node-proxies.',
    registers,
  });
  const refused = new Counter({
    name: 'nodemesh_identity_certificate_requests_refused_total',
    help: 'Certificate requests refused or failed, by reason (the issuance API error code).',
    labelNames: ['code'],
    registers,
  });
  issued.inc(0);
  for (const code of Object.keys(ISSUANCE_ERROR_STATUS) as IssuanceErrorCode[]) refused.inc({ code }, 0);
  return { issued, refused };
}
