/**
 * Issue 13, item 1: an Upgrade header must not be a way around per-request policy. The request head is
 * checked and rewritten like any request, bytes are tunnelled only after the backend's 101 for the protocol
 * asked, `Upgrade: h2c` is stripped, and tunnels and TCP connections end when policy no longer admits them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NodeProxy, staticCallers } from '../../src/index.js';
import type { TopologyInputs } from '../../src/topology/inputs.js';
import { meshService, readyEndpoints, routeGroup, topologyInputs } from '../fixtures.js';
import {
  CALLER_IPS,
  metricValue,
  tcpRoute,
  trafficTarget,
  withAccess,
  withPolicy,
} from '../policy/policy-fixtures.js';
import { Resources, startProxy, tcpEchoBackend } from '../support.js';
import {
  eventually,
  type RecordingBackend,
  rawConnection,
  rawRequest,
  recordingBackend,
  scrape,
  statusOf,
  upgradeHead,
} from './hostile-fixtures.js';

const callers = staticCallers(
  new Map([
    [CALLER_IPS.a, { namespace: 'web', workload: 'frontend', serviceAccount: 'frontend' }],
    [CALLER_IPS.c, { namespace: 'web', workload: 'crawler', serviceAccount: 'crawler' }],
  ]),
);
const FRONTEND = { namespace: 'web', name: 'frontend' };
const routes = routeGroup('shop', 'routes', [
  { name: 'public', pathRegex: '/public(/.*)?', methods: ['GET'], headers: {} },
  { name: 'ws', pathRegex: '/ws.*', methods: ['GET'], headers: {} },
]);
const allow = [
  trafficTarget(
    'orders-readers',
    { namespace: 'shop', name: 'orders' },
    [FRONTEND],
    [{ kind: 'HTTPRouteGroup', name: 'routes', matches: [] }],
  ),
  trafficTarget(
    'db-users',
    { namespace: 'shop', name: 'db' },
    [FRONTEND],
    [{ kind: 'TCPRoute', name: 'raw', matches: [] }],
  ),
];
const FORGED = 'X-Nodemesh-Caller: forged\r\nL5d-Client-Id: forged\r\nX-Forwarded-Client-Cert: By=forged\r\n';

let resources: Resources;
let proxy: NodeProxy;
let http: number;

/** Inputs with `orders` (HTTP) served by `backendPort` and `db` (TCP) by `tcpPort`, and the grants above. */
function inputs(backendPort: number, tcpPort: number, targets = allow): TopologyInputs {
  return withAccess(
    topologyInputs({
      services: [
        withPolicy(meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]), {
          serviceAccounts: ['orders'],
        }),
        withPolicy(meshService('shop', 'db', [{ port: 5432, targetPort: 10000 }], { trafficType: 'tcp' }), {
          serviceAccounts: ['db'],
        }),
      ],
      endpoints: {
        'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: backendPort }]),
        'shop/db': readyEndpoints([{ address: '127.0.0.1', port: tcpPort }]),
      },
    }),
    { targets, routeGroups: [routes], tcpRoutes: [tcpRoute('shop', 'raw', [5432])] },
  );
}

async function start(backend: RecordingBackend): Promise<number> {
  const tcp = await tcpEchoBackend(resources);
  proxy = await startProxy(resources, { accessControl: true, callers });
  await proxy.applyInputs(inputs(backend.port, tcp));
  http = proxy.boundPort('http', 5000) ?? 0;
  return tcp;
}

beforeEach(() => {
  resources = new Resources();
});
afterEach(async () => {
  await resources.closeAll();
});

describe('an Upgrade request goes through the whole per-request policy', () => {
  it('a backend that does not switch protocols answers normally, and bytes after the head never reach it', async () => {
    const backend = await recordingBackend(resources);
    await start(backend);
    const smuggled = `DELETE /admin HTTP/1.1\r\nHost: orders.shop.mesh\r\n${FORGED}Content-Length: 0\r\n\r\n`;
    const answer = await rawRequest(
      resources,
      http,
      upgradeHead('/public', 'orders.shop.mesh', FORGED) + smuggled,
    );
    expect(statusOf(answer)).toBe(200);
    expect(answer).not.toMatch(/HTTP\/1\.1 101/);
    // Only the upgrade request reached the backend, rewritten like any request.
    expect(backend.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /public']);
    const headers = backend.seen[0]?.headers ?? {};
    expect(headers['x-nodemesh-caller']).toBeUndefined();
    expect(headers['l5d-client-id']).toBeUndefined();
    expect(headers['x-forwarded-client-cert']).toBeUndefined();
    expect(headers['x-forwarded-for']).toBe(CALLER_IPS.a);
  });

  it('an upgrade to a path the route group does not allow is denied before any backend is dialled', async () => {
    const backend = await recordingBackend(resources, { websocket: true });
    await start(backend);
    const answer = await rawRequest(resources, http, upgradeHead('/admin'));
    expect(statusOf(answer)).toBe(403);
    expect(backend.seen).toEqual([]);
  });

  it('tunnels after the backend’s 101; bytes the caller sent early wait for it', async () => {
    const backend = await recordingBackend(resources, { websocket: true });
    await start(backend);
    const connection = await rawConnection(resources, http, CALLER_IPS.a);
    connection.socket.write(`${upgradeHead('/ws', 'orders.shop.mesh', FORGED)}early`);
    const switched = await connection.waitFor(/\r\n\r\nearly$/);
    expect(statusOf(switched)).toBe(101);
    expect(switched).toMatch(/\r\nupgrade: websocket\r\n/i);
    expect(switched).toMatch(/\r\nx-backend: ws\r\n/i);
    connection.socket.write(' and later');
    await connection.waitFor(/early and later$/);
    const seen = backend.seen[0];
    expect(seen?.headers['x-nodemesh-caller']).toBeUndefined();
    expect(seen?.headers['l5d-client-id']).toBeUndefined();
    expect(seen?.headers.upgrade).toBe('websocket');
  });

  it('a refused upgrade is relayed as a normal response, then the connection closes', async () => {
    const backend = await recordingBackend(resources, { websocket: true });
    await start(backend);
    const answer = await rawRequest(
      resources,
      http,
      `${upgradeHead('/ws-refuse')}GET /ws HTTP/1.1\r\nHost: orders.shop.mesh\r\n\r\n`,
    );
    expect(statusOf(answer)).toBe(403);
    expect(answer.endsWith('refused')).toBe(true);
    expect(backend.seen.map((r) => r.url)).toEqual(['/ws-refuse']);
  });

  it('a 101 to another protocol than the one asked is not tunnelled: 502', async () => {
    const backend = await recordingBackend(resources, { websocket: true });
    await start(backend);
    const answer = await rawRequest(resources, http, `${upgradeHead('/ws-wrong')}hello`);
    expect(statusOf(answer)).toBe(502);
    expect(answer).not.toContain('hello');
  });

  it('`Upgrade: h2c` is stripped: the request and those after it go on as HTTP/1.1, each under policy', async () => {
    const backend = await recordingBackend(resources);
    await start(backend);
    const h2cUpgrade =
      'GET /public/1 HTTP/1.1\r\nHost: orders.shop.mesh\r\nConnection: Upgrade, HTTP2-Settings\r\n' +
      `Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n${FORGED}\r\n`;
    const answer = await rawRequest(
      resources,
      http,
      `${h2cUpgrade}DELETE /admin HTTP/1.1\r\nHost: orders.shop.mesh\r\n\r\n` +
        'GET /public/2 HTTP/1.1\r\nHost: orders.shop.mesh\r\nConnection: close\r\n\r\n',
    );
    const statuses = [...answer.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 403, 200]);
    expect(backend.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /public/1', 'GET /public/2']);
    for (const seen of backend.seen) {
      expect(seen.headers.upgrade).toBeUndefined();
      expect(seen.headers['http2-settings']).toBeUndefined();
      expect(seen.headers['x-nodemesh-caller']).toBeUndefined();
    }
  });

  it('an upgrade pipelined behind other requests waits for their answers, in order', async () => {
    const backend = await recordingBackend(resources, { websocket: true });
    await start(backend);
    const plain = (path: string, extra = '') =>
      `GET ${path} HTTP/1.1\r\nHost: orders.shop.mesh\r\n${extra}\r\n`;
    const h2c =
      'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n';
    const answer = await rawRequest(
      resources,
      http,
      plain('/public/1') + plain('/public/2', h2c) + plain('/public/3', 'Connection: close\r\n'),
    );
    const urls = [...answer.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
    expect(urls).toEqual(['/public/1', '/public/2', '/public/3']);

    const connection = await rawConnection(resources, http, CALLER_IPS.a);
    connection.socket.write(`${plain('/public/4')}${upgradeHead('/ws')}hello`);
    const switched = await connection.waitFor(/HTTP\/1\.1 101[\s\S]*\r\n\r\nhello$/);
    expect(switched.indexOf('"url":"/public/4"')).toBeLessThan(switched.indexOf('HTTP/1.1 101'));
  });
});

describe('long-lived connections follow the policy of each new snapshot', () => {
  it('a tunnel and a TCP connection end when their TrafficTarget is removed, counted', async () => {
    const backend = await recordingBackend(resources, { websocket: true });
    const tcp = await start(backend);
    const tunnel = await rawConnection(resources, http, CALLER_IPS.a);
    tunnel.socket.write(upgradeHead('/ws'));
    await tunnel.waitFor(/^HTTP\/1\.1 101/);
    const stream = await rawConnection(resources, proxy.boundPort('tcp', 10000) ?? 0, CALLER_IPS.a);
    stream.socket.write('ping');
    await stream.waitFor(/ping$/);

    // A snapshot that changes nothing these depend on leaves them open.
    await proxy.applyInputs(inputs(backend.port, tcp));
    tunnel.socket.write('still');
    await tunnel.waitFor(/still$/);

    await proxy.applyInputs(inputs(backend.port, tcp, []));
    await tunnel.closed(2_000);
    await stream.closed(2_000);
    const text = await scrape(proxy);
    const revoked = (protocol: string) =>
      metricValue(text, 'nodemesh_revoked_connections_total', {
        destination_service: protocol === 'tcp' ? 'db' : 'orders',
        protocol,
        reason: 'access_denied',
      });
    expect(revoked('websocket')).toBe(1);
    expect(revoked('tcp')).toBe(1);
  });

  it('a tunnel ends when its endpoint leaves the snapshot, and a TCP connection when its route does', async () => {
    const backend = await recordingBackend(resources, { websocket: true });
    const tcp = await start(backend);
    const tunnel = await rawConnection(resources, http, CALLER_IPS.a);
    tunnel.socket.write(upgradeHead('/ws'));
    await tunnel.waitFor(/^HTTP\/1\.1 101/);
    const stream = await rawConnection(resources, proxy.boundPort('tcp', 10000) ?? 0, CALLER_IPS.a);
    stream.socket.write('ping');
    await stream.waitFor(/ping$/);

    const other = await recordingBackend(resources, { websocket: true });
    await proxy.applyInputs(inputs(other.port, tcp));
    await tunnel.closed(2_000);
    expect(stream.socket.destroyed).toBe(false);

    const withoutDb = inputs(other.port, tcp);
    const services = new Map(withoutDb.services);
    services.delete('shop/db');
    await proxy.applyInputs({ ...withoutDb, services });
    await stream.closed(2_000);
    const text = await scrape(proxy);
    expect(
      metricValue(text, 'nodemesh_revoked_connections_total', {
        protocol: 'websocket',
        reason: 'endpoint_gone',
      }),
    ).toBe(1);
    expect(
      await eventually(
        async () =>
          metricValue(await scrape(proxy), 'nodemesh_revoked_connections_total', {
            protocol: 'tcp',
            reason: 'route_gone',
          }) === 1,
      ),
    ).toBe(true);
  });
});
