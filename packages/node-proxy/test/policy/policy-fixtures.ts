/** Builders and socket helpers for the policy-chain tests: SMI access resources, callers by source IP. */
import { createSocket } from 'node:dgram';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { HTTPRouteGroup, TCPRoute, TrafficTarget, UDPRoute } from '@nodemesh/smi-types';
import type { MeshServiceConfig, MeshServiceInput, TopologyInputs } from '../../src/topology/inputs.js';

/** Callers by source IP: every test client binds one of these loopback addresses. */
export const CALLER_IPS = { a: '127.0.0.2', c: '127.0.0.3', stranger: '127.0.0.9' } as const;

export function trafficTarget(
  name: string,
  destination: { namespace: string; name: string; port?: number },
  sources: readonly { namespace: string; name: string }[],
  rules: TrafficTarget['rules'],
): TrafficTarget {
  return {
    kind: 'TrafficTarget',
    apiVersion: 'access.smi-spec.io/v1alpha3',
    namespace: destination.namespace,
    name,
    destination: { kind: 'ServiceAccount', ...destination },
    sources: sources.map((s) => ({ kind: 'ServiceAccount', ...s })),
    rules,
  };
}

export function tcpRoute(namespace: string, name: string, ports: readonly number[]): TCPRoute {
  return {
    kind: 'TCPRoute',
    apiVersion: 'specs.smi-spec.io/v1alpha4',
    namespace,
    name,
    matches: [{ name: 'ports', ports }],
  };
}

export function udpRoute(namespace: string, name: string, ports: readonly number[]): UDPRoute {
  return {
    kind: 'UDPRoute',
    apiVersion: 'specs.smi-spec.io/v1alpha4',
    namespace,
    name,
    matches: [{ name: 'ports', ports }],
  };
}

/** The Service with its pods' ServiceAccounts and config fields changed. */
export function withPolicy(
  service: MeshServiceInput,
  change: { serviceAccounts?: readonly string[]; config?: Partial<MeshServiceConfig> },
): MeshServiceInput {
  return {
    ...service,
    ...(change.serviceAccounts === undefined ? {} : { serviceAccounts: change.serviceAccounts }),
    config: { ...service.config, ...change.config },
  };
}

/** Inputs with access resources added. */
export function withAccess(
  inputs: TopologyInputs,
  access: {
    targets?: readonly TrafficTarget[];
    routeGroups?: readonly HTTPRouteGroup[];
    tcpRoutes?: readonly TCPRoute[];
    udpRoutes?: readonly UDPRoute[];
  },
): TopologyInputs {
  const byKey = <T extends { namespace: string; name: string }>(items: readonly T[] = []) =>
    new Map(items.map((i) => [`${i.namespace}/${i.name}`, i]));
  return {
    ...inputs,
    trafficTargets: access.targets ?? [],
    httpRouteGroups: new Map([...inputs.httpRouteGroups, ...byKey(access.routeGroups)]),
    tcpRoutes: byKey(access.tcpRoutes),
    udpRoutes: byKey(access.udpRoutes),
  };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP/1.1 request on a fresh connection from `from`, bounded in time. */
export function httpCall(
  port: number,
  options: {
    from?: string;
    host?: string;
    path?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    timeoutMs?: number;
  } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress: options.from ?? CALLER_IPS.a,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        agent: false,
        headers: { host: options.host ?? 'orders.shop.mesh', ...options.headers },
        timeout: options.timeoutMs ?? 5_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('HTTP call timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Connects from `from`, sends `message`, half-closes, and collects what comes back until the proxy closes.
 * A denied connection yields '' (closed before any byte).
 */
export function tcpCall(port: number, from: string, message: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('TCP call did not finish'));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString());
    });
    socket.end(message);
  });
}

/** A UDP datagram from `from`; the reply, or undefined when none comes within `waitMs` (dropped). */
export function udpCall(
  port: number,
  from: string,
  message: string,
  waitMs = 500,
): Promise<string | undefined> {
  const socket = createSocket('udp4');
  return new Promise<string | undefined>((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    socket.on('message', (data) => {
      clearTimeout(timer);
      resolve(data.toString());
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.bind(0, from, () => socket.send(message, port, '127.0.0.1'));
  }).finally(() => socket.close());
}

/** The value of one metric series in Prometheus text, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return 0;
}
