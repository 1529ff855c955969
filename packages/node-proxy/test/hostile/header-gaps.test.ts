/**
 * Issue 13, item 6: underscore spellings of stripped identity headers do not pass, `Connection` cannot take
 * Host away, and an absolute-form request is routed and forwarded by the authority of its URI, in origin-form.
 */
import { connect as connectH2 } from 'node:http2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeProxy } from '../../src/index.js';
import { meshService, readyEndpoints, topologyInputs } from '../fixtures.js';
import { Resources, startProxy } from '../support.js';
import { type RecordingBackend, rawRequest, recordingBackend, statusOf } from './hostile-fixtures.js';

let resources: Resources;
let proxy: NodeProxy;
let orders: RecordingBackend;
let payments: RecordingBackend;
let http: number;

beforeEach(async () => {
  resources = new Resources();
  orders = await recordingBackend(resources);
  payments = await recordingBackend(resources);
  proxy = await startProxy(resources);
  await proxy.applyInputs(
    topologyInputs({
      services: [
        meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]),
        meshService('shop', 'payments', [{ port: 80, targetPort: 5000 }]),
      ],
      endpoints: {
        'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: orders.port }]),
        'shop/payments': readyEndpoints([{ address: '127.0.0.1', port: payments.port }]),
      },
    }),
  );
  http = proxy.boundPort('http', 5000) ?? 0;
});
afterEach(async () => {
  await resources.closeAll();
});

const FORGED_UNDERSCORES = [
  'x_remote_user',
  'x_forwarded_client_cert',
  'l5d_client_id',
  'x_nodemesh_caller',
  'X_Forwarded_User',
  'x-forwarded_client-cert',
];

describe('header gaps', () => {
  it('drops underscore spellings of the identity and mesh headers it strips, and keeps other underscores', async () => {
    const forged = FORGED_UNDERSCORES.map((name) => `${name}: admin\r\n`).join('');
    const answer = await rawRequest(
      resources,
      http,
      `GET / HTTP/1.1\r\nHost: orders.shop.mesh\r\n${forged}api_key: k1\r\nConnection: close\r\n\r\n`,
    );
    expect(statusOf(answer)).toBe(200);
    const headers = orders.seen[0]?.headers ?? {};
    for (const name of FORGED_UNDERSCORES) expect(headers[name.toLowerCase()], name).toBeUndefined();
    expect(headers.api_key).toBe('k1');
  });

  it('the same over HTTP/2', async () => {
    const session = connectH2(`http://127.0.0.1:${http}`);
    resources.add(session, async (s) => void s.destroy());
    session.on('error', () => undefined);
    const status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({
        ':method': 'GET',
        ':path': '/',
        ':authority': 'orders.shop.mesh',
        x_remote_user: 'admin',
        l5d_client_id: 'admin',
      });
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.resume();
      stream.on('error', reject);
      stream.end();
    });
    expect(status).toBe(200);
    expect(orders.seen[0]?.headers.x_remote_user).toBeUndefined();
    expect(orders.seen[0]?.headers.l5d_client_id).toBeUndefined();
  });

  it('`Connection: host` (or content-length) does not take Host away from the forwarded request', async () => {
    const answer = await rawRequest(
      resources,
      http,
      'POST / HTTP/1.1\r\nHost: orders.shop.mesh\r\nConnection: host, content-length, close\r\nContent-Length: 3\r\n\r\nabc',
    );
    expect(statusOf(answer)).toBe(200);
    expect(orders.seen[0]?.headers.host).toBe('orders.shop.mesh');
    expect(orders.seen[0]?.bodyBytes).toBe(3);
  });

  it('an absolute-form request goes where its URI says, in origin-form, with the URI’s authority as Host', async () => {
    const answer = await rawRequest(
      resources,
      http,
      'GET http://payments.shop.mesh:80/pay/./x?y=1 HTTP/1.1\r\nHost: orders.shop.mesh\r\nConnection: close\r\n\r\n',
    );
    expect(statusOf(answer)).toBe(200);
    expect(orders.seen).toEqual([]);
    expect(payments.seen[0]?.url).toBe('/pay/x?y=1');
    expect(payments.seen[0]?.headers.host).toBe('payments.shop.mesh:80');
  });

  it('an absolute-form request with a scheme other than http, or with userinfo, is refused with 400', async () => {
    for (const target of ['https://orders.shop.mesh/', 'http://user@orders.shop.mesh/', 'http:///x']) {
      const answer = await rawRequest(
        resources,
        http,
        `GET ${target} HTTP/1.1\r\nHost: orders.shop.mesh\r\nConnection: close\r\n\r\n`,
      );
      expect(statusOf(answer), target).toBe(400);
    }
    expect(orders.seen).toEqual([]);
  });
});
