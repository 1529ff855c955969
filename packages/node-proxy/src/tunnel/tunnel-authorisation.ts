/**
 * Which tunnel streams the destination's node proxy serves (docs/mtls.md, "The destination decides"): the
 * `authorise` of its TunnelServer, compiled once per routing snapshot and set of pods of this node, so a stream
 * costs two map lookups and, with access control, two more. Pure.
 *
 * A target `podIP:port` is served only if `podIP` is a Running pod of this node (not on the host network) and
 * `podIP:port` is a ready endpoint of a Service the snapshot routes to over HTTP or TCP: the tunnel delivers to
 * meshed workloads, never to any port of any pod. With access control, a TrafficTarget must also admit the
 * verified source identity to that pod's own ServiceAccount on the Service port the endpoint serves (the
 * layer-4 part of the grant: `grantAdmitsConnection`); HTTPRouteGroup paths, methods and headers stay the
 * caller's node's check, since the destination sees bytes, not requests. Without access control any verified
 * identity of the trust domain is served (the server has already checked the chain and the trust domain).
 */
import { isIPv6 } from 'node:net';
import { spiffeIdOf, type WorkloadIdentity } from '@nodemesh/smi-types';
import type { PodCaller } from '../metrics/caller-index.js';
import { grantAdmitsConnection } from '../policy/access-policy.js';
import type { RuleTables } from '../snapshot/mesh-routing.js';
import type { Backend, Route, Snapshot } from '../snapshot/snapshot.js';
import { objectKey } from '../topology/inputs.js';
import type { AuthoriseRequest, Decision } from './tunnel-refusals.js';
import { canonicalIPv6 } from './tunnel-target.js';

export interface TunnelAuthorisationInputs {
  readonly snapshot: Snapshot;
  /** The pods of this node that run (CallerIndex: Running, with an IP, not on the host network). */
  readonly pods: Iterable<PodCaller>;
  readonly accessControl: boolean;
  readonly trustDomain: string;
}

/** One `podIP:port` the tunnel delivers to, and who may reach it. */
export interface TunnelDestination {
  readonly pod: PodCaller;
  /** The pod's identity (its ServiceAccount), for logs and the metrics' `destination_identity`. */
  readonly spiffeId: string;
  /** With access control: the admitted sources, ServiceAccounts by namespace. Undefined: any verified identity. */
  readonly sources: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  /** The Services (`ns/name:port`) this endpoint serves, for the log of a refusal. */
  readonly services: readonly string[];
}

export interface TunnelAuthorisation {
  readonly snapshot: Snapshot;
  /** Pod IP (canonical) → port → destination. */
  readonly destinations: ReadonlyMap<string, ReadonlyMap<number, TunnelDestination>>;
  /** The pods of this node by IP (canonical), to say why a target is refused. */
  readonly pods: ReadonlyMap<string, PodCaller>;
}

const ALLOWED: Decision = Object.freeze({ kind: 'allowed' });

/** The decision of one stream. Never throws. */
export function authorise(auth: TunnelAuthorisation, request: AuthoriseRequest): Decision {
  const destination = auth.destinations.get(request.podIP)?.get(request.port);
  if (destination === undefined) {
    const pod = auth.pods.get(request.podIP);
    return {
      kind: 'not-on-this-node',
      detail:
        pod === undefined
          ? `${request.podIP} is not a running pod of this node`
          : `port ${request.port} of pod ${pod.key} is not an endpoint of a meshed Service`,
    };
  }
  if (destination.sources === undefined) return ALLOWED;
  if (destination.sources.get(request.source.namespace)?.has(request.source.serviceAccount) === true) {
    return ALLOWED;
  }
  return {
    kind: 'denied-by-policy',
    detail: `no TrafficTarget admits ${spiffeIdOf(request.source)} to ${destination.spiffeId} (pod ${destination.pod.key}, ${destination.services.join(', ')})`,
  };
}

/** The destination the stream goes to, if it is one: for the metrics' `destination_identity`. */
export function destinationOf(
  auth: TunnelAuthorisation,
  podIP: string,
  port: number,
): TunnelDestination | undefined {
  return auth.destinations.get(podIP)?.get(port);
}

interface Use {
  readonly serviceKey: string;
  readonly port: number;
  readonly protocol: 'http' | 'tcp';
}

/** Compiles what `authorise` reads from a snapshot and the pods of this node. */
export function compileTunnelAuthorisation(inputs: TunnelAuthorisationInputs): TunnelAuthorisation {
  const pods = new Map<string, PodCaller>();
  for (const pod of inputs.pods) for (const ip of pod.ips) pods.set(canonicalAddress(ip), pod);

  // Every (pod of this node, port) that is an endpoint, with the Service ports it serves there.
  const uses = new Map<string, Map<number, Use[]>>();
  const addBackend = (backend: Backend | undefined, route: Route, protocol: 'http' | 'tcp') => {
    if (backend === undefined) return;
    const serviceKey = objectKey(backend.service.namespace, backend.service.name);
    for (const endpoint of backend.endpoints) {
      const ip = canonicalAddress(endpoint.address);
      if (!pods.has(ip)) continue;
      let byPort = uses.get(ip);
      if (byPort === undefined) {
        byPort = new Map();
        uses.set(ip, byPort);
      }
      const list = byPort.get(endpoint.port) ?? [];
      if (
        !list.some((u) => u.serviceKey === serviceKey && u.port === route.port && u.protocol === protocol)
      ) {
        list.push({ serviceKey, port: route.port, protocol });
      }
      byPort.set(endpoint.port, list);
    }
  };
  const addRoute = (route: Route, protocol: 'http' | 'tcp') => {
    addBackend(route.root, route, protocol);
    for (const backend of route.split?.backends ?? []) addBackend(backend, route, protocol);
    const mesh = route.mesh;
    if (mesh === undefined) return;
    for (const tables of [mesh.producer, ...mesh.consumers.values()]) {
      for (const backend of ruleTableBackends(tables)) addBackend(backend, route, protocol);
    }
  };
  for (const entrypoint of inputs.snapshot.http.values()) {
    for (const route of entrypoint.hosts.values()) addRoute(route, 'http');
  }
  for (const route of inputs.snapshot.tcp.values()) addRoute(route, 'tcp');

  const destinations = new Map<string, Map<number, TunnelDestination>>();
  for (const [ip, byPort] of uses) {
    const pod = pods.get(ip);
    if (pod === undefined) continue;
    const identity: WorkloadIdentity = {
      trustDomain: inputs.trustDomain,
      namespace: pod.caller.namespace,
      serviceAccount: pod.caller.serviceAccount,
    };
    const spiffeId = spiffeIdOf(identity);
    const ports = new Map<number, TunnelDestination>();
    for (const [port, list] of byPort) {
      ports.set(port, {
        pod,
        spiffeId,
        sources: inputs.accessControl ? admittedSources(inputs.snapshot, identity, list) : undefined,
        services: list.map((u) => `${u.serviceKey}:${u.port}`),
      });
    }
    destinations.set(ip, ports);
  }
  return { snapshot: inputs.snapshot, destinations, pods };
}

/** The sources some TrafficTarget admits to `destination` for one of the Service ports it serves. */
function admittedSources(
  snapshot: Snapshot,
  destination: WorkloadIdentity,
  uses: readonly Use[],
): ReadonlyMap<string, ReadonlySet<string>> {
  const sources = new Map<string, Set<string>>();
  const bySource = snapshot.access.grants.get(objectKey(destination.namespace, destination.serviceAccount));
  for (const [sourceKey, grants] of bySource ?? []) {
    if (!grants.some((grant) => uses.some((u) => grantAdmitsConnection(grant, u.port, u.protocol)))) continue;
    // `<namespace>/<ServiceAccount>`: neither part can hold a slash.
    const slash = sourceKey.indexOf('/');
    const namespace = sourceKey.slice(0, slash);
    const serviceAccount = sourceKey.slice(slash + 1);
    let accounts = sources.get(namespace);
    if (accounts === undefined) {
      accounts = new Set();
      sources.set(namespace, accounts);
    }
    accounts.add(serviceAccount);
  }
  return sources;
}

function* ruleTableBackends(tables: RuleTables | undefined): Iterable<Backend | undefined> {
  for (const match of tables?.http?.matches ?? []) for (const b of match.rule.backends) yield b.backend;
  for (const b of tables?.tcp?.rule.backends ?? []) yield b.backend;
}

/** An address as the tunnel target parser writes it (IPv6 canonical), so both sides of a lookup agree. */
function canonicalAddress(address: string): string {
  return isIPv6(address) ? canonicalIPv6(address) : address;
}
