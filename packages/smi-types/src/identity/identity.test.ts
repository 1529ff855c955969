import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defaultIssuerUrl,
  issuerServerName,
  parseSpiffeId,
  readCertificateRequest,
  readCertificateResponse,
  readIssuanceError,
  spiffeIdOf,
} from './index.js';

const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBAA==\n-----END CERTIFICATE REQUEST-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n';

describe('SPIFFE IDs', () => {
  it('writes and reads spiffe://<trust-domain>/ns/<ns>/sa/<sa>', () => {
    const id = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'orders.v2' };
    expect(spiffeIdOf(id)).toBe('spiffe://cluster.local/ns/shop/sa/orders.v2');
    expect(parseSpiffeId(spiffeIdOf(id))).toEqual(id);
  });

  it('reads nothing that is not exactly our form', () => {
    for (const uri of [
      'spiffe://cluster.local/ns/shop/sa/orders/extra',
      'spiffe://cluster.local/ns/shop/sa/',
      'spiffe://Cluster.local/ns/shop/sa/orders',
      'spiffe://cluster.local/ns/Shop/sa/orders',
      'spiffe://cluster.local/sa/orders/ns/shop',
      'https://cluster.local/ns/shop/sa/orders',
      'spiffe://cluster.local/ns/shop/sa/orders?x=1',
      'spiffe://cluster.local/ns/shop/sa/orders#f',
      'spiffe://cluster.local/ns/../sa/orders',
    ]) {
      expect(parseSpiffeId(uri), uri).toBeUndefined();
    }
    fc.assert(fc.property(fc.string(), (s) => void parseSpiffeId(s)));
  });
});

describe('the issuance API', () => {
  it('names the issuer by its Service', () => {
    expect(issuerServerName('nodemesh')).toBe('nodemesh-identity.nodemesh.svc');
    expect(defaultIssuerUrl('mesh')).toBe('https://nodemesh-identity.mesh.svc:9443');
  });

  it('reads a certificate request and reports every problem of a bad one', () => {
    expect(readCertificateRequest({ namespace: 'shop', serviceAccount: 'orders', csr: CSR })).toEqual({
      ok: true,
      value: { namespace: 'shop', serviceAccount: 'orders', csr: CSR },
    });
    const bad = readCertificateRequest({ namespace: 'Shop', serviceAccount: 7, csr: 'x', extra: 1 });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.errors.map((e) => e.path)).toEqual(['namespace', 'serviceAccount', 'csr', 'extra']);
    expect(readCertificateRequest(null).ok).toBe(false);
    fc.assert(fc.property(fc.anything(), (v) => void readCertificateRequest(v)));
  });

  it('reads a certificate response and refuses one with a bad time or no PEM', () => {
    const good = {
      spiffeId: 'spiffe://cluster.local/ns/shop/sa/orders',
      certificateChain: CERT + CERT,
      trustBundle: CERT,
      notBefore: '2026-01-01T00:00:00.000Z',
      notAfter: '2026-01-02T00:00:00.000Z',
    };
    expect(readCertificateResponse(good).ok).toBe(true);
    expect(readCertificateResponse({ ...good, notAfter: 'tomorrow' }).ok).toBe(false);
    expect(readCertificateResponse({ ...good, certificateChain: 'not pem' }).ok).toBe(false);
    fc.assert(fc.property(fc.anything(), (v) => void readCertificateResponse(v)));
  });

  it('reads refusals with a known code only', () => {
    expect(readIssuanceError({ code: 'ServiceAccountNotOnNode', message: 'no' })).toEqual({
      code: 'ServiceAccountNotOnNode',
      message: 'no',
    });
    expect(readIssuanceError({ code: 'toString', message: 'no' })).toBeUndefined();
    expect(readIssuanceError('x')).toBeUndefined();
  });
});
