/**
 * Workload identity (docs/identity.md), judged from the components' own metrics: the issuer is ready and not
 * near its end, every root of the trust bundle likewise, and every node-proxy holds unexpired certificates
 * that it renews in time. Thresholds follow the shipped alerts (deploy/prometheus/alerts.yaml): issuer 30
 * days, roots 90 days, a renewal overdue (past half life) is a warning, an expired certificate a failure.
 */
import type { Sample } from '../stat/exposition.js';
import { type CheckResult, ok, problem } from './check-result.js';
import type { MeshObservation, ProbedPod } from './observation.js';

const IDENTITY = 'Workload identity';
const DAY = 86_400;
const ISSUER_WARN_DAYS = 30;
const ROOT_WARN_DAYS = 90;
const DOCS = 'docs/identity.md';

const samplesNamed = (pods: readonly ProbedPod[], name: string): Sample[] =>
  pods.flatMap((pod) => (pod.metrics ?? []).filter((sample) => sample.name === name));

/** "3d 4h", "5h 12m", "40s": how long until (or since) a moment, for people. */
export function formatSpan(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s >= DAY) return `${Math.floor(s / DAY)}d ${Math.floor((s % DAY) / 3600)}h`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${s}s`;
}

const untilText = (left: number) =>
  left < 0 ? `expired ${formatSpan(left)} ago` : `expires in ${formatSpan(left)}`;

export function certificateChecks(o: MeshObservation): CheckResult[] {
  const now = o.now / 1000;
  const ready = samplesNamed(o.controllerPods, 'nodemesh_identity_issuer_ready');
  const proxyCerts = samplesNamed(
    o.proxyPods,
    'nodemesh_node_proxy_certificate_expiration_timestamp_seconds',
  );
  if (ready.length === 0 && proxyCerts.length === 0) {
    return [
      ok(
        IDENTITY,
        'off: no component reports workload identity (the dns-controller runs without --identity)',
      ),
    ];
  }
  return [
    ...issuerChecks(o, ready, now),
    ...rootChecks(o, now),
    ...o.proxyPods.flatMap((pod) => proxyChecks(pod, now)),
  ];
}

function issuerChecks(o: MeshObservation, ready: readonly Sample[], now: number): CheckResult[] {
  if (ready.length === 0) {
    return [
      problem(
        'warn',
        IDENTITY,
        'issuer: no dns-controller reports it, but node-proxies hold certificates',
        'run the dns-controller with --identity=true, or read its metrics: kubectl -n nodemesh get pods',
      ),
    ];
  }
  if (!ready.some((sample) => sample.value === 1)) {
    return [
      problem(
        'fail',
        IDENTITY,
        'issuer: not ready on any dns-controller replica',
        `kubectl -n ${o.settings.config.meshNamespace} describe secret nodemesh-identity-issuer; see ${DOCS}, "Rotating the issuer (same root)"`,
      ),
    ];
  }
  const expiries = samplesNamed(o.controllerPods, 'nodemesh_identity_issuer_expiration_timestamp_seconds');
  if (expiries.length === 0) return [ok(IDENTITY, 'issuer: ready')];
  const left = Math.min(...expiries.map((sample) => sample.value)) - now;
  if (left < 0) {
    return [
      problem(
        'fail',
        IDENTITY,
        `issuer certificate ${untilText(left)}`,
        `replace the issuer: see ${DOCS}, "Rotating the issuer (same root)"`,
      ),
    ];
  }
  if (left < ISSUER_WARN_DAYS * DAY) {
    return [
      problem(
        'warn',
        IDENTITY,
        `issuer certificate ${untilText(left)}`,
        `rotate the issuer soon: see ${DOCS}, "Rotating the issuer (same root)"`,
      ),
    ];
  }
  return [ok(IDENTITY, `issuer: ready, its certificate ${untilText(left)}`)];
}

function rootChecks(o: MeshObservation, now: number): CheckResult[] {
  const byRoot = new Map<string, number>();
  for (const sample of samplesNamed(
    o.controllerPods,
    'nodemesh_identity_root_expiration_timestamp_seconds',
  )) {
    byRoot.set(sample.labels.root ?? '?', sample.value);
  }
  return [...byRoot].sort().map(([root, expiry]) => {
    const left = expiry - now;
    const title = `root ${root} ${untilText(left)}`;
    if (left < 0)
      return problem(
        'fail',
        IDENTITY,
        title,
        `remove it from the trust bundle and rotate the root: see ${DOCS}`,
      );
    if (left < ROOT_WARN_DAYS * DAY) {
      return problem(
        'warn',
        IDENTITY,
        title,
        `rotate the root: see ${DOCS}, "Rotating the root (two roots, then one)"`,
      );
    }
    return ok(IDENTITY, title);
  });
}

function proxyChecks(probed: ProbedPod, now: number): CheckResult[] {
  const where = `node-proxy ${probed.pod.name}${probed.pod.nodeName === undefined ? '' : ` on node ${probed.pod.nodeName}`}`;
  if (probed.metrics === undefined) return []; // not ready: the data-plane checks already say so
  const certs = (probed.metrics ?? []).filter(
    (sample) => sample.name === 'nodemesh_node_proxy_certificate_expiration_timestamp_seconds',
  );
  const logs = `kubectl -n ${probed.pod.namespace} logs ${probed.pod.name}; kubectl -n ${probed.pod.namespace} get events`;
  const expired = certs.filter((sample) => sample.value < now);
  if (expired.length > 0) {
    const names = expired.map((s) => `${s.labels.namespace}/${s.labels.service_account}`).sort();
    return [
      problem(
        'fail',
        IDENTITY,
        `${where}: expired certificates for ${names.join(', ')}`,
        `is the issuer reachable from the node? ${logs}`,
      ),
    ];
  }
  const overdue =
    probed.metrics.find((sample) => sample.name === 'nodemesh_node_proxy_certificates_overdue')?.value ?? 0;
  if (overdue > 0) {
    return [
      problem(
        'warn',
        IDENTITY,
        `${where}: ${overdue} certificates past their renewal time`,
        `is the issuer reachable from the node? ${logs}`,
      ),
    ];
  }
  if (certs.length === 0) return [ok(IDENTITY, `${where}: no certificates (no meshed pod on its node)`)];
  const soonest = Math.min(...certs.map((sample) => sample.value)) - now;
  return [ok(IDENTITY, `${where}: ${certs.length} certificates, the soonest ${untilText(soonest)}`)];
}
