/** The snapshot as plain JSON for `/debug/snapshot`: what routes where, readable by a person. */
import type { AccessGrant, AccessPolicy, PortSet } from '../policy/access-policy.js';
import type { CompiledMatch, CompiledRule, MeshRouting, RuleTables } from './mesh-routing.js';
import type { Backend, Route, Snapshot } from './snapshot.js';

function backendJson(backend: Backend) {
  return {
    service: `${backend.service.namespace}/${backend.service.name}`,
    weight: backend.weight,
    scheme: backend.scheme,
    endpoints: backend.endpoints.map((e) => e.key),
  };
}

function routeJson(route: Route) {
  return {
    service: `${route.service.namespace}/${route.service.name}`,
    port: route.port,
    portName: route.portName,
    root: backendJson(route.root),
    split:
      route.split === undefined
        ? null
        : {
            name: route.split.name,
            backends: route.split.backends.map(backendJson),
            matches: route.split.matches?.map((m) => m.name) ?? null,
          },
    mesh: route.mesh === undefined ? null : meshJson(route.mesh),
  };
}

/** Gateway API rule tables: per caller group, the matches in the order a request tries them. */
function meshJson(mesh: MeshRouting) {
  return {
    producer: mesh.producer === undefined ? null : tablesJson(mesh.producer),
    consumers: Object.fromEntries([...mesh.consumers].map(([ns, tables]) => [ns, tablesJson(tables)])),
  };
}

function tablesJson(tables: RuleTables) {
  return {
    http: tables.http?.matches.map(matchJson) ?? null,
    tcp: tables.tcp === undefined ? null : ruleJson(tables.tcp.rule),
  };
}

function matchJson(match: CompiledMatch) {
  const path = match.path;
  return {
    path:
      path.type === 'RegularExpression'
        ? `RegularExpression ${path.pattern.pattern()}`
        : `${path.type} ${path.value === '' ? '/' : path.value}`,
    method: match.method ?? null,
    headers: match.headers.map((h) => h.name),
    queryParams: match.queryParams.map((q) => q.name),
    ...ruleJson(match.rule),
  };
}

function ruleJson(rule: CompiledRule) {
  return {
    rule: `${rule.route.kind} ${rule.route.namespace}/${rule.route.name} ${rule.ruleName}`,
    backends: rule.backends.map((b) =>
      b.backend === undefined
        ? { weight: b.weight, problem: b.problem }
        : backendJson({ ...b.backend, weight: b.weight }),
    ),
  };
}

export function snapshotToJson(snapshot: Snapshot) {
  return {
    version: snapshot.version,
    builtAt: new Date(snapshot.builtAt).toISOString(),
    meshDomain: snapshot.meshDomain,
    http: [...snapshot.http.values()].map((entry) => ({
      entrypoint: entry.port,
      hosts: Object.fromEntries([...entry.hosts].map(([host, route]) => [host, routeJson(route)])),
    })),
    tcp: [...snapshot.tcp].map(([port, route]) => ({ listener: port, ...routeJson(route) })),
    udp: [...snapshot.udp].map(([port, route]) => ({ listener: port, ...routeJson(route) })),
    services: Object.fromEntries(snapshot.services),
    access: accessJson(snapshot.access),
    problems: snapshot.problems,
  };
}

/** Who may call which ServiceAccount, by TrafficTarget: destination SA → source SA → grants. */
function accessJson(access: AccessPolicy) {
  const ports = (set: PortSet | undefined) => (set === undefined ? null : set === 'any' ? 'any' : [...set]);
  const grant = (g: AccessGrant) => ({
    trafficTarget: g.target,
    port: g.port ?? null,
    httpMatches: g.http.map((m) => m.name),
    tcpPorts: ports(g.tcp),
    udpPorts: ports(g.udp),
  });
  return {
    serviceAccounts: Object.fromEntries(access.serviceAccounts),
    grants: Object.fromEntries(
      [...access.grants].map(([destination, bySource]) => [
        destination,
        Object.fromEntries([...bySource].map(([source, grants]) => [source, grants.map(grant)])),
      ]),
    ),
  };
}
