/**
 * Issue 13, item 5: HTTPRouteGroup path rules see the path the backend will see. Paths are normalised before
 * matching (RFC 3986: unreserved characters decoded, dot segments removed), encoded slashes and backslashes
 * are refused with 400, `pathRegex` must match the whole path, and the normalised path is what is forwarded.
 */
import { connect as connectH2 } from 'node:http2';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NodeProxy, staticCallers } from '../../src/index.js';
import { meshService, readyEndpoints, routeGroup, topologyInputs } from '../fixtures.js';
import { CALLER_IPS, trafficTarget, withAccess, withPolicy } from '../policy/policy-fixtures.js';
import { Resources, startProxy } from '../support.js';
import { type RecordingBackend, rawRequest, recordingBackend, statusOf } from './hostile-fixtures.js';

const callers = staticCallers(
  new Map([[CALLER_IPS.a, { namespace: 'web', workload: 'frontend', serviceAccount: 'frontend' }]]),
);

let resources: Resources;
let proxy: NodeProxy;
let backend: RecordingBackend;
let http: number;

beforeEach(async () => {
  resources = new Resources();
  backend = await recordingBackend(resources);
  proxy = await startProxy(resources, { callers, accessControl: true });
  const inputs = topologyInputs({
    services: [
      withPolicy(meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]), {
        serviceAccounts: ['orders'],
      }),
    ],
    endpoints: { 'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: backend.port }]) },
  });
  await proxy.applyInputs(
    withAccess(inputs, {
      targets: [
        trafficTarget(
          'books',
          { namespace: 'shop', name: 'orders' },
          [{ namespace: 'web', name: 'frontend' }],
          [{ kind: 'HTTPRouteGroup', name: 'books', matches: [] }],
        ),
      ],
      routeGroups: [
        routeGroup('shop', 'books', [
          { name: 'books', pathRegex: '/books(/[a-z0-9]*)*', methods: ['GET'], headers: {} },
        ]),
      ],
    }),
  );
  http = proxy.boundPort('http', 5000) ?? 0;
});
afterEach(async () => {
  await resources.closeAll();
});

/** The status of a raw GET of `target`, and the URL the backend saw (undefined when none reached it). */
async function get(target: string): Promise<{ status: number; forwarded: string | undefined }> {
  const before = backend.seen.length;
  const answer = await rawRequest(
    resources,
    http,
    `GET ${target} HTTP/1.1\r\nHost: orders.shop.mesh\r\nConnection: close\r\n\r\n`,
  );
  return { status: statusOf(answer), forwarded: backend.seen[before]?.url };
}

describe('paths are normalised before the route group sees them', () => {
  it.each([
    ['/books', 200, '/books'],
    ['/books/x1?q=a/../b', 200, '/books/x1?q=a/../b'],
    ['/%62ooks/abc', 200, '/books/abc'],
    ['/books/./abc/x/..', 200, '/books/abc/'],
    ['/books/%2e%2e/books', 200, '/books'],
    ['/books-admin', 403, undefined],
    ['/books/../admin', 403, undefined],
    ['/books/%2E%2E/admin', 403, undefined],
    ['/books/..%2fadmin', 400, undefined],
    ['/books%2f..%2fadmin', 400, undefined],
    ['/books%5C..%5Cadmin', 400, undefined],
    ['/books\\..\\admin', 400, undefined],
    ['/books/%zz', 400, undefined],
  ])('GET %s → %i, forwarded as %s', async (target, status, forwarded) => {
    expect(await get(target)).toEqual({ status, forwarded });
  });

  it('HTTP/2 the same', async () => {
    const session = connectH2(`http://127.0.0.1:${http}`, {
      createConnection: () => connect({ host: '127.0.0.1', port: http, localAddress: CALLER_IPS.a }),
    });
    resources.add(session, async (s) => void s.destroy());
    session.on('error', () => undefined);
    const status = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':method': 'GET', ':path': path, ':authority': 'orders.shop.mesh' });
        stream.on('response', (headers) => resolve(Number(headers[':status'])));
        stream.resume();
        stream.on('error', reject);
        stream.end();
      });
    expect(await status('/%62ooks/./abc')).toBe(200);
    expect(backend.seen.at(-1)?.url).toBe('/books/abc');
    expect(await status('/books-admin')).toBe(403);
    expect(await status('/books/../admin')).toBe(403);
    expect(await status('/books%2F..%2Fadmin')).toBe(400);
    expect(backend.seen).toHaveLength(1);
  });
});
