import { describe, expect, it } from 'vitest';
import type { Sample } from '../stat/exposition.js';
import { certificateChecks, formatSpan } from './certificates.js';
import { healthy, meshPod, NOW, probed } from './check-fixtures.js';
import type { MeshObservation, ProbedPod } from './observation.js';

const HOUR = 3600;
const DAY = 24 * HOUR;
const nowS = NOW / 1000;
const sample = (name: string, value: number, labels: Record<string, string> = {}): Sample => ({
  name,
  labels,
  value,
});
const withMetrics = (pod: ProbedPod, metrics: Sample[]): ProbedPod => ({ ...pod, metrics });

/** A mesh with identity on: the issuer ready for a year, one root for ten years, one certificate per proxy. */
function identityMesh(
  overrides: {
    issuerLeft?: number;
    rootLeft?: number;
    certLeft?: number;
    overdue?: number;
    ready?: number;
  } = {},
): MeshObservation {
  const {
    issuerLeft = 365 * DAY,
    rootLeft = 3650 * DAY,
    certLeft = 12 * HOUR,
    overdue = 0,
    ready = 1,
  } = overrides;
  const controller = [
    sample('nodemesh_identity_issuer_ready', ready),
    sample('nodemesh_identity_issuer_expiration_timestamp_seconds', nowS + issuerLeft),
    sample('nodemesh_identity_root_expiration_timestamp_seconds', nowS + rootLeft, {
      root: 'ab12cd34ef56ab78',
    }),
  ];
  const proxy = [
    sample('nodemesh_node_proxy_certificate_expiration_timestamp_seconds', nowS + certLeft, {
      namespace: 'shop',
      service_account: 'orders',
    }),
    sample('nodemesh_node_proxy_certificates_overdue', overdue),
  ];
  const base = healthy();
  return {
    ...base,
    controllerPods: base.controllerPods.map((pod) => withMetrics(pod, controller)),
    proxyPods: base.proxyPods.map((pod) => withMetrics(pod, proxy)),
  };
}

const titles = (o: MeshObservation) => certificateChecks(o).map((r) => `${r.status} ${r.title}`);

describe('certificateChecks', () => {
  it('says identity is off when no component reports it', () => {
    expect(titles(healthy())).toEqual([
      'ok off: no component reports workload identity (the dns-controller runs without --identity)',
    ]);
  });

  it('passes a healthy identity: issuer, root and every proxy with its soonest expiry', () => {
    expect(titles(identityMesh())).toEqual([
      'ok issuer: ready, its certificate expires in 365d 0h',
      'ok root ab12cd34ef56ab78 expires in 3650d 0h',
      'ok node-proxy proxy-1 on node n1: 1 certificates, the soonest expires in 12h 0m',
      'ok node-proxy proxy-2 on node n2: 1 certificates, the soonest expires in 12h 0m',
    ]);
  });

  it('fails an issuer that is ready nowhere, with the fix', () => {
    const [issuer] = certificateChecks(identityMesh({ ready: 0 }));
    expect(issuer).toMatchObject({
      status: 'fail',
      title: 'issuer: not ready on any dns-controller replica',
    });
    expect(issuer?.fix).toContain('describe secret nodemesh-identity-issuer');
  });

  it('warns of an issuer or a root near its end, at the alerts thresholds, and fails an expired one', () => {
    expect(titles(identityMesh({ issuerLeft: 29 * DAY }))[0]).toBe(
      'warn issuer certificate expires in 29d 0h',
    );
    expect(titles(identityMesh({ issuerLeft: 31 * DAY }))[0]).toMatch(/^ok /);
    expect(titles(identityMesh({ rootLeft: 89 * DAY }))[1]).toBe(
      'warn root ab12cd34ef56ab78 expires in 89d 0h',
    );
    expect(titles(identityMesh({ rootLeft: -DAY }))[1]).toBe('fail root ab12cd34ef56ab78 expired 1d 0h ago');
  });

  it('fails a proxy holding an expired certificate and warns of renewals overdue', () => {
    const expired = certificateChecks(identityMesh({ certLeft: -60 })).filter((r) => r.status === 'fail');
    expect(expired.map((r) => r.title)).toEqual([
      'node-proxy proxy-1 on node n1: expired certificates for shop/orders',
      'node-proxy proxy-2 on node n2: expired certificates for shop/orders',
    ]);
    expect(expired[0]?.fix).toContain('kubectl -n nodemesh logs proxy-1');
    expect(titles(identityMesh({ overdue: 2 }))[2]).toBe(
      'warn node-proxy proxy-1 on node n1: 2 certificates past their renewal time',
    );
  });

  it('leaves a proxy whose metrics could not be read to the data-plane checks', () => {
    const o = identityMesh();
    const down = { ...o, proxyPods: [probed(meshPod('proxy-3', 'n3'), false)] };
    expect(titles(down)).toHaveLength(2);
  });

  it('formats spans for people', () => {
    expect([
      formatSpan(40),
      formatSpan(125),
      formatSpan(5 * HOUR + 720),
      formatSpan(3 * DAY + 4 * HOUR),
    ]).toEqual(['40s', '2m 5s', '5h 12m', '3d 4h']);
  });
});
