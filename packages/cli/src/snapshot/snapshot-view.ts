/**
 * `nodemesh config NODE`: the routing snapshot one node-proxy serves (/debug/snapshot), read as untrusted
 * JSON into rows: routes with their split weights and endpoints, compiled access grants, problems.
 */
type Rec = Record<string, unknown>;
const isRec = (value: unknown): value is Rec =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const rec = (value: unknown): Rec => (isRec(value) ? value : {});
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : '';

export interface BackendRow {
  readonly service: string;
  readonly weight: string;
  readonly endpoints: readonly string[];
}

export interface RouteRow {
  readonly protocol: 'http' | 'tcp' | 'udp';
  readonly listener: string;
  /** Host for HTTP, "" for TCP/UDP. */
  readonly host: string;
  readonly service: string;
  readonly port: string;
  readonly split: string;
  readonly backends: readonly BackendRow[];
}

export interface GrantRow {
  readonly destination: string;
  readonly source: string;
  readonly trafficTarget: string;
  readonly ports: string;
  readonly httpMatches: string;
}

export interface ProblemRow {
  readonly object: string;
  readonly reason: string;
  readonly message: string;
}

export interface SnapshotView {
  readonly version: string;
  readonly builtAt: string;
  readonly routes: readonly RouteRow[];
  readonly grants: readonly GrantRow[];
  readonly problems: readonly ProblemRow[];
}

function backend(raw: unknown, weight?: string): BackendRow {
  const b = rec(raw);
  return {
    service: text(b.service),
    weight: weight ?? text(b.weight),
    endpoints: arr(b.endpoints)
      .map(text)
      .filter((e) => e !== ''),
  };
}

function route(protocol: RouteRow['protocol'], listener: string, host: string, raw: unknown): RouteRow {
  const r = rec(raw);
  const split = isRec(r.split) ? r.split : undefined;
  return {
    protocol,
    listener,
    host,
    service: text(r.service),
    port: text(r.port),
    split: split === undefined ? '' : text(split.name),
    backends: split === undefined ? [backend(r.root, '100%')] : arr(split.backends).map((b) => backend(b)),
  };
}

function portsText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value === 'any') return 'any';
  return arr(value).map(text).join(',');
}

export function readSnapshot(raw: unknown): SnapshotView {
  const s = rec(raw);
  const routes: RouteRow[] = [];
  for (const entry of arr(s.http)) {
    const e = rec(entry);
    for (const [host, r] of Object.entries(rec(e.hosts)))
      routes.push(route('http', text(e.entrypoint), host, r));
  }
  for (const protocol of ['tcp', 'udp'] as const) {
    for (const entry of arr(s[protocol])) routes.push(route(protocol, text(rec(entry).listener), '', entry));
  }
  const grants: GrantRow[] = [];
  for (const [destination, bySource] of Object.entries(rec(rec(s.access).grants))) {
    for (const [source, list] of Object.entries(rec(bySource))) {
      for (const grant of arr(list)) {
        const g = rec(grant);
        const tcp = portsText(g.tcpPorts);
        const udp = portsText(g.udpPorts);
        grants.push({
          destination,
          source,
          trafficTarget: text(g.trafficTarget),
          ports: [
            g.port === null || g.port === undefined ? '' : `port ${text(g.port)}`,
            tcp && `tcp ${tcp}`,
            udp && `udp ${udp}`,
          ]
            .filter((p) => p !== '')
            .join('; '),
          httpMatches: arr(g.httpMatches).map(text).join(','),
        });
      }
    }
  }
  const problems = arr(s.problems).map((p) => {
    const r = rec(p);
    return {
      object: `${text(r.kind)} ${text(r.namespace)}/${text(r.name)}`,
      reason: text(r.reason),
      message: text(r.message),
    };
  });
  return { version: text(s.version), builtAt: text(s.builtAt), routes, grants, problems };
}

/** Only what concerns Service `namespace/name`: its routes, routes splitting to it, its problems. */
export function forService(view: SnapshotView, service: string): SnapshotView {
  const [namespace, name] = service.split('/');
  return {
    ...view,
    routes: view.routes.filter((r) => r.service === service || r.backends.some((b) => b.service === service)),
    problems: view.problems.filter((p) => p.object.endsWith(` ${namespace}/${name}`)),
  };
}
