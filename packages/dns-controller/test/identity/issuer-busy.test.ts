/**
 * The issuer bounds the work a flood of requests can cause: past 32 requests in flight (each waiting on a
 * TokenReview) the next is answered 503 Unavailable at once, without asking the API server.
 */
import { request } from 'node:https';
import { silentLogger } from '@nodemesh/kube-runtime';
import { ISSUANCE_PATH, issuerServerName } from '@nodemesh/smi-types';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReviewedToken } from '../../src/identity/authorize-issuance.js';
import { readIssuerMaterial } from '../../src/identity/issuer-material.js';
import { IssuerServer } from '../../src/identity/issuer-server.js';
import { generateCa, servingCertificate } from '../../src/identity/sign-certificates.js';

const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBAA==\n-----END CERTIFICATE REQUEST-----\n';
let server: IssuerServer | undefined;
afterAll(async () => server?.stop());

function post(port: number, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: ISSUANCE_PATH,
        method: 'POST',
        ca,
        servername: issuerServerName('nodemesh'),
        agent: false,
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ namespace: 'shop', serviceAccount: 'orders', csr: CSR }));
  });
}

describe('the issuer under a flood', () => {
  it('answers 503 past 32 requests in flight, asking the API server nothing more', async () => {
    const ca = await generateCa('cluster.local', new Date());
    const data = Object.fromEntries(
      Object.entries(ca.secretData).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    );
    const read = await readIssuerMaterial(data, new Date());
    if (!read.ok) throw new Error(read.problem);
    let reviews = 0;
    const pending: ((review: ReviewedToken) => void)[] = [];
    server = new IssuerServer({
      host: '127.0.0.1',
      port: 0,
      policy: { meshNamespace: 'nodemesh', nodeProxyServiceAccount: 'nodemesh-node-proxy' },
      trustDomain: 'cluster.local',
      certificateTtlMs: 60_000,
      material: () => read.material,
      reviewToken: () => {
        reviews += 1;
        return new Promise((resolve) => pending.push(resolve));
      },
      nodePods: async () => [],
      onIssued: () => undefined,
      onRefused: () => undefined,
      logger: silentLogger,
    });
    const serving = await servingCertificate(
      read.material,
      [issuerServerName('nodemesh')],
      60_000,
      new Date(),
    );
    await server.serve({ keyPem: serving.keyPem, certPem: serving.certificate.chainPem });
    const port = server.port ?? 0;
    const slow = Array.from({ length: 32 }, () => post(port, read.material.rootsPem));
    await expect.poll(() => reviews, { timeout: 10_000 }).toBe(32);
    const extra = await post(port, read.material.rootsPem);
    expect(extra.status).toBe(503);
    expect(JSON.parse(extra.body)).toEqual({ code: 'Unavailable', message: 'the issuer is busy; try again' });
    expect(reviews).toBe(32);
    for (const resolve of pending) resolve({ authenticated: false, error: 'no', audiences: [], extra: {} });
    const answers = await Promise.all(slow);
    expect(answers.map((a) => a.status)).toEqual(Array(32).fill(401));
  });
});
