/** The onRequest audit hook sees each resource request once, with its RBAC attributes, and not discovery. */
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiServer, type AuditCall, startApiServer } from '../src/index.js';

let server: ApiServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('onRequest', () => {
  it('is called once per resource request, even one that fails', async () => {
    const calls: AuditCall[] = [];
    server = await startApiServer({ onRequest: (call) => calls.push(call) });
    const send = (method: string, path: string, body?: unknown) =>
      fetch(`${server?.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'user-agent': 'audit-test' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then((r) => r.text());
    await send('GET', '/api');
    await send('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'a' } });
    await send('GET', '/api/v1/namespaces/default/configmaps/a');
    await send('DELETE', '/api/v1/namespaces/default/configmaps/missing');
    expect(calls).toEqual([
      { verb: 'create', apiGroup: '', resource: 'configmaps', namespace: 'default', userAgent: 'audit-test' },
      {
        verb: 'get',
        apiGroup: '',
        resource: 'configmaps',
        namespace: 'default',
        name: 'a',
        userAgent: 'audit-test',
      },
      {
        verb: 'delete',
        apiGroup: '',
        resource: 'configmaps',
        namespace: 'default',
        name: 'missing',
        userAgent: 'audit-test',
      },
    ]);
  });
});
