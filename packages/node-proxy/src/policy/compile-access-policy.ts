/**
 * TrafficTargets (+ the route resources their rules name, + each Service's ServiceAccounts) → AccessPolicy,
 * pure. A rule naming a route that does not exist, or a match name the route lacks, allows nothing and is
 * reported; a target with no rules allows nothing (SMI).
 */
import type { HTTPMatch, PortMatch, TrafficTarget } from '@nodemesh/smi-types';
import type { Problem } from '../snapshot/snapshot.js';
import { compileHttpMatch, type HttpMatchRule } from '../topology/http-match.js';
import { objectKey, type TopologyInputs } from '../topology/inputs.js';
import { aboutObject, routeGroupProblem } from '../topology/problem-about.js';
import type { AccessGrant, AccessPolicy, PortSet } from './access-policy.js';

export interface CompiledAccessPolicy {
  readonly policy: AccessPolicy;
  readonly problems: readonly Problem[];
}

/** The input objects the policy reads, in order: the same (by identity) next time means the same policy. */
export function accessPolicyDependencies(inputs: TopologyInputs): unknown[] {
  const deps: unknown[] = [];
  for (const target of inputs.trafficTargets ?? []) {
    deps.push(target);
    for (const rule of target.rules) deps.push(routeOf(inputs, target.namespace, rule.kind, rule.name));
  }
  for (const [key, service] of inputs.services) deps.push(key, service.serviceAccounts);
  return deps;
}

export function compileAccessPolicy(inputs: TopologyInputs): CompiledAccessPolicy {
  const problems: Problem[] = [];
  const serviceAccounts = new Map<string, readonly string[]>();
  for (const [key, service] of inputs.services) {
    const accounts = service.serviceAccounts ?? [];
    if (accounts.length > 0) {
      serviceAccounts.set(
        key,
        accounts.map((sa) => objectKey(service.namespace, sa)),
      );
    }
  }
  const grants = new Map<string, Map<string, AccessGrant[]>>();
  for (const target of inputs.trafficTargets ?? []) {
    const grant = compileGrant(target, inputs, problems);
    const destination = objectKey(target.destination.namespace, target.destination.name);
    let bySource = grants.get(destination);
    if (bySource === undefined) {
      bySource = new Map();
      grants.set(destination, bySource);
    }
    for (const source of target.sources) {
      const key = objectKey(source.namespace, source.name);
      const list = bySource.get(key);
      if (list === undefined) bySource.set(key, [grant]);
      else if (!list.includes(grant)) list.push(grant);
    }
  }
  return { policy: { serviceAccounts, grants }, problems };
}

function compileGrant(target: TrafficTarget, inputs: TopologyInputs, problems: Problem[]): AccessGrant {
  const http: HttpMatchRule[] = [];
  let tcp: Set<number> | 'any' | undefined;
  let udp: Set<number> | 'any' | undefined;
  const report = (reason: string, message: string) =>
    problems.push({ kind: 'TrafficTarget', ...aboutObject(target), reason, message });
  for (const rule of target.rules) {
    const route = routeOf(inputs, target.namespace, rule.kind, rule.name);
    if (route === undefined) {
      report('RouteNotFound', `${rule.kind} "${rule.name}" does not exist; its rule allows nothing`);
      continue;
    }
    const wanted = pickMatches<HTTPMatch | PortMatch>(route.matches, rule.matches, (missing) =>
      report('MatchNotFound', `${rule.kind} "${rule.name}" has no match "${missing}"`),
    );
    if (route.kind === 'HTTPRouteGroup') {
      for (const match of wanted as HTTPMatch[]) {
        const compiled = compileHttpMatch(match);
        if ('error' in compiled) problems.push(routeGroupProblem(route, 'InvalidMatch', compiled.error));
        else http.push(compiled.rule);
      }
    } else {
      // A TCPRoute without matches (v1alpha3) means any port, as does a match with no ports.
      const ports = route.matches.length === 0 ? 'any' : portSet(wanted as PortMatch[]);
      if (route.kind === 'TCPRoute') tcp = unionPorts(tcp, ports);
      else udp = unionPorts(udp, ports);
    }
  }
  return {
    target: objectKey(target.namespace, target.name),
    port: target.destination.port,
    http,
    tcp,
    udp,
  };
}

function routeOf(inputs: TopologyInputs, namespace: string, kind: string, name: string) {
  const key = objectKey(namespace, name);
  if (kind === 'HTTPRouteGroup') return inputs.httpRouteGroups.get(key);
  if (kind === 'TCPRoute') return inputs.tcpRoutes?.get(key);
  if (kind === 'UDPRoute') return inputs.udpRoutes?.get(key);
  return undefined;
}

/** The matches a rule names (all when it names none); names that do not exist are reported. */
function pickMatches<M extends { readonly name: string }>(
  matches: readonly M[],
  names: readonly string[],
  missing: (name: string) => void,
): M[] {
  if (names.length === 0) return [...matches];
  const picked: M[] = [];
  for (const name of names) {
    const match = matches.find((m) => m.name === name);
    if (match === undefined) missing(name);
    else picked.push(match);
  }
  return picked;
}

function portSet(matches: readonly PortMatch[]): PortSet | undefined {
  if (matches.length === 0) return undefined;
  const ports = new Set<number>();
  for (const match of matches) {
    if (match.ports.length === 0) return 'any';
    for (const port of match.ports) ports.add(port);
  }
  return ports;
}

function unionPorts(a: PortSet | undefined, b: PortSet | undefined): Set<number> | 'any' | undefined {
  if (a === 'any' || b === 'any') return 'any';
  if (a === undefined && b === undefined) return undefined;
  return new Set([...(a ?? []), ...(b ?? [])]);
}
