import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../src/index.js';
import { call } from './helpers.js';

let server: ApiServer;

beforeAll(async () => {
  server = await startApiServer();
});

afterAll(async () => {
  await server.stop();
});

const paths = [
  '/api/v1/namespaces/default/services',
  '/api/v1/namespaces/default/pods',
  '/api/v1/namespaces',
  '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
  '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
];

const names = fc.oneof(
  fc.constantFrom('a', 'b', 'svc-1'),
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.constant(null),
);
const metadata = fc.record(
  {
    name: names,
    labels: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 })),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  },
  { requiredKeys: [] },
);
const bodies = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    { metadata, spec: fc.jsonValue({ maxDepth: 3 }), status: fc.jsonValue({ maxDepth: 2 }) },
    { requiredKeys: [] },
  ),
  fc.string({ maxLength: 40 }),
);

describe('bad input never breaks the server', () => {
  it('answers random bodies on create, update and patch with a Status below 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom('POST', 'PUT', 'PATCH-merge', 'PATCH-json', 'PATCH-smp', 'PATCH-apply'),
        bodies,
        async (path, verb, body) => {
          const text = typeof body === 'string' ? body : JSON.stringify(body);
          const [method = 'POST', kind] = verb.split('-');
          const contentType =
            kind === 'merge'
              ? 'application/merge-patch+json'
              : kind === 'json'
                ? 'application/json-patch+json'
                : kind === 'smp'
                  ? 'application/strategic-merge-patch+json'
                  : kind === 'apply'
                    ? 'application/apply-patch+yaml'
                    : 'application/json';
          const target =
            method === 'POST' ? path : `${path}/a${kind === 'apply' ? '?fieldManager=fuzz' : ''}`;
          const res = await call(server.url, method, target, text, contentType);
          expect(res.status, `${method} ${target} ${text} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
          if (res.status >= 400) expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure' });
        },
      ),
      { numRuns: 300 },
    );
    expect((await call(server.url, 'GET', '/api/v1/namespaces/default')).status).toBe(200);
  });
});
