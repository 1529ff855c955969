/**
 * The identity role against the in-memory API server, on real sockets: the leader creates the root and issuer
 * once, publishes the trust bundle, and the issuer signs over TLS 1.3 only what a node-proxy's pod-bound
 * token allows: ServiceAccounts with a pod on that proxy's node. A replaced Secret is hot-reloaded; a broken
 * one gets a Warning Event and changes nothing.
 */
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import type { ApiServer } from '@nodemesh/apiserver';
import {
  DEFAULT_ISSUER_SECRET,
  IDENTITY_TOKEN_AUDIENCE,
  ISSUANCE_PATH,
  issuerServerName,
  TRUST_BUNDLE_CONFIG_MAP,
} from '@nodemesh/smi-types';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IDENTITY_SETTINGS } from '../../src/identity/identity-role.js';
import { generateCa } from '../../src/identity/sign-certificates.js';
import type { DnsController } from '../../src/index.js';
import { call, startCluster, startController, waitFor } from '../controller/support.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

let server: ApiServer;
let controller: DnsController;

async function must(method: string, path: string, body?: unknown) {
  const answer = await call(server, method, path, body);
  if (answer.status >= 300)
    throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function pod(namespace: string, name: string, serviceAccountName: string, nodeName: string) {
  return must('POST', `/api/v1/namespaces/${namespace}/pods`, {
    metadata: { name },
    spec: { serviceAccountName, nodeName, containers: [{ name: 'c', image: 'i' }] },
  });
}

async function token(
  namespace: string,
  account: string,
  podName: string,
  audience = IDENTITY_TOKEN_AUDIENCE,
) {
  const answer = await must('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`, {
    spec: { audiences: [audience], boundObjectRef: { kind: 'Pod', name: podName } },
  });
  return (answer.status as { token: string }).token;
}

async function bundle(): Promise<Record<string, string>> {
  const cm = await call(server, 'GET', `/api/v1/namespaces/nodemesh/configmaps/${TRUST_BUNDLE_CONFIG_MAP}`);
  return (cm.body.data ?? {}) as Record<string, string>;
}

async function csr(): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=ignored',
    keys,
    signingAlgorithm: P256,
  });
  return req.toString('pem');
}

/** POST to the issuer over TLS, trusting the published bundle and checking the Service name. */
async function issue(
  bearer: string | undefined,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const ca = (await bundle())['ca.crt'];
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: controller.issuer?.port,
        path: ISSUANCE_PATH,
        method: 'POST',
        ca,
        servername: issuerServerName('nodemesh'),
        minVersion: 'TLSv1.3',
        headers: {
          'content-type': 'application/json',
          ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  server = await startCluster();
  for (const name of ['node-a', 'node-b']) await must('POST', '/api/v1/nodes', { metadata: { name } });
  for (const [ns, name] of [
    ['nodemesh', 'nodemesh-node-proxy'],
    ['nodemesh', 'intruder'],
    ['shop', 'orders'],
    ['shop', 'billing'],
  ] as const) {
    await must('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name } });
  }
  await pod('nodemesh', 'proxy-a', 'nodemesh-node-proxy', 'node-a');
  await pod('nodemesh', 'proxy-b', 'nodemesh-node-proxy', 'node-b');
  await pod('nodemesh', 'intruder', 'intruder', 'node-a');
  await pod('shop', 'orders-1', 'orders', 'node-a');
  await pod('shop', 'billing-1', 'billing', 'node-b');
  controller = await startController(server, {
    clusterDns: 'none',
    identityRole: true,
    identitySettings: { ...DEFAULT_IDENTITY_SETTINGS, issuerHost: '127.0.0.1', issuerPort: 0 },
  });
  await waitFor('the trust bundle', async () => (await bundle())['ca.crt'] !== undefined);
});

afterAll(async () => {
  await controller?.stop();
  await server?.stop();
});

describe('the mesh CA', () => {
  it('creates one root and one issuer (ECDSA P-256) and publishes the root', async () => {
    const secret = await must('GET', `/api/v1/namespaces/nodemesh/secrets/${DEFAULT_ISSUER_SECRET}`);
    const data = secret.data as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const root = new X509Certificate(Buffer.from(data['ca.crt'] ?? '', 'base64'));
    const issuer = new X509Certificate(Buffer.from(data['tls.crt'] ?? '', 'base64'));
    expect(root.ca && issuer.ca).toBe(true);
    expect(issuer.verify(root.publicKey)).toBe(true);
    expect(issuer.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const published = await bundle();
    expect(new X509Certificate(published['ca.crt'] ?? '').fingerprint256).toBe(root.fingerprint256);
    expect(published['issuer.sha256']).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('issuance bound to the node', () => {
  it('signs a 24 h certificate for a ServiceAccount with a pod on the caller’s node', async () => {
    const answer = await issue(await token('nodemesh', 'nodemesh-node-proxy', 'proxy-a'), {
      namespace: 'shop',
      serviceAccount: 'orders',
      csr: await csr(),
    });
    expect(answer.status).toBe(200);
    expect(answer.body.spiffeId).toBe('spiffe://cluster.local/ns/shop/sa/orders');
    const [leafPem, issuerPem] =
      String(answer.body.certificateChain).match(
        /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
      ) ?? [];
    const leaf = new X509Certificate(leafPem ?? '');
    expect(leaf.subjectAltName).toBe('URI:spiffe://cluster.local/ns/shop/sa/orders');
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(new X509Certificate(issuerPem ?? '').publicKey)).toBe(true);
    const life = Date.parse(leaf.validTo) - Date.now();
    expect(life).toBeGreaterThan(24 * 3600_000 - 120_000);
    expect(life).toBeLessThanOrEqual(24 * 3600_000);
    expect(answer.body.trustBundle).toBe((await bundle())['ca.crt']);
  });

  it('refuses a ServiceAccount with no pod on the caller’s node, saying why', async () => {
    const answer = await issue(await token('nodemesh', 'nodemesh-node-proxy', 'proxy-a'), {
      namespace: 'shop',
      serviceAccount: 'billing',
      csr: await csr(),
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({
      code: 'ServiceAccountNotOnNode',
      message: 'ServiceAccount shop/billing has no pod on node node-a',
    });
    const fromB = await issue(await token('nodemesh', 'nodemesh-node-proxy', 'proxy-b'), {
      namespace: 'shop',
      serviceAccount: 'billing',
      csr: await csr(),
    });
    expect(fromB.status).toBe(200);
  });

  it('refuses the token of another ServiceAccount, of another audience, and no token', async () => {
    const body = { namespace: 'shop', serviceAccount: 'orders', csr: await csr() };
    const intruder = await issue(await token('nodemesh', 'intruder', 'intruder'), body);
    expect(intruder.status).toBe(403);
    expect(intruder.body.code).toBe('NotANodeProxy');
    expect(String(intruder.body.message)).toContain('system:serviceaccount:nodemesh:intruder');
    const audience = await issue(
      await token('nodemesh', 'nodemesh-node-proxy', 'proxy-a', 'kubernetes'),
      body,
    );
    expect(audience.status).toBe(401);
    expect(audience.body.code).toBe('Unauthenticated');
    expect((await issue(undefined, body)).status).toBe(401);
    expect((await issue('garbage', body)).status).toBe(401);
  });

  it('refuses a CSR whose signature does not verify and a body that is not a request', async () => {
    const good = await csr();
    const der = Buffer.from(good.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff;
    const broken = `-----BEGIN CERTIFICATE REQUEST-----\n${der
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    const bearer = await token('nodemesh', 'nodemesh-node-proxy', 'proxy-a');
    const answer = await issue(bearer, { namespace: 'shop', serviceAccount: 'orders', csr: broken });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('BadCsr');
    expect((await issue(bearer, { namespace: 'shop' })).body.code).toBe('BadRequest');
  });

  it('counts issued and refused certificates', async () => {
    const text = await controller.registry.metrics();
    expect(text).toMatch(/nodemesh_identity_certificates_issued_total [1-9]/);
    expect(text).toMatch(
      /nodemesh_identity_certificate_requests_refused_total\{code="ServiceAccountNotOnNode"\} [1-9]/,
    );
    expect(text).toMatch(/nodemesh_identity_root_expiration_timestamp_seconds\{root="[0-9a-f]{16}"\} \d+/);
    expect(text).toContain('nodemesh_identity_issuer_ready 1');
  });
});

describe('the issuer Secret', () => {
  it('is hot-reloaded when replaced, and a broken one changes nothing but raises a Warning', async () => {
    const before = await bundle();
    const next = await generateCa('cluster.local', new Date());
    await must('PUT', `/api/v1/namespaces/nodemesh/secrets/${DEFAULT_ISSUER_SECRET}`, {
      metadata: { name: DEFAULT_ISSUER_SECRET },
      type: 'kubernetes.io/tls',
      stringData: next.secretData,
    });
    await waitFor(
      'the new root published',
      async () => (await bundle())['ca.crt'] === next.secretData['ca.crt'],
    );
    const after = await bundle();
    expect(after['issuer.sha256']).not.toBe(before['issuer.sha256']);
    const issued = await issue(await token('nodemesh', 'nodemesh-node-proxy', 'proxy-a'), {
      namespace: 'shop',
      serviceAccount: 'orders',
      csr: await csr(),
    });
    expect(issued.status).toBe(200);
    const leaf = new X509Certificate(
      String(issued.body.certificateChain).split('-----END CERTIFICATE-----')[0] +
        '-----END CERTIFICATE-----\n',
    );
    expect(leaf.verify(new X509Certificate(next.secretData['tls.crt'] ?? '').publicKey)).toBe(true);

    await must('PUT', `/api/v1/namespaces/nodemesh/secrets/${DEFAULT_ISSUER_SECRET}`, {
      metadata: { name: DEFAULT_ISSUER_SECRET },
      stringData: {
        ...next.secretData,
        'tls.key': (await generateCa('x', new Date())).secretData['tls.key'],
      },
    });
    await waitFor('a Warning Event on the Secret', async () => {
      const events = await must('GET', '/api/v1/namespaces/nodemesh/events');
      return ((events.items ?? []) as { reason?: string }[]).some((e) => e.reason === 'InvalidIssuer');
    });
    expect((await bundle())['issuer.sha256']).toBe(after['issuer.sha256']);
    const still = await issue(await token('nodemesh', 'nodemesh-node-proxy', 'proxy-a'), {
      namespace: 'shop',
      serviceAccount: 'orders',
      csr: await csr(),
    });
    expect(still.status).toBe(200);
  });

  it('deleted, is made anew, still trusting the roots in use until an operator drops them', async () => {
    const before = (await bundle())['ca.crt'] ?? '';
    await must('DELETE', `/api/v1/namespaces/nodemesh/secrets/${DEFAULT_ISSUER_SECRET}`);
    await waitFor('a new issuer Secret', async () => {
      const answer = await call(
        server,
        'GET',
        `/api/v1/namespaces/nodemesh/secrets/${DEFAULT_ISSUER_SECRET}`,
      );
      return answer.status === 200;
    });
    const secret = await must('GET', `/api/v1/namespaces/nodemesh/secrets/${DEFAULT_ISSUER_SECRET}`);
    const data = secret.data as Record<string, string>;
    const text = (key: string) => Buffer.from(data[key] ?? '', 'base64').toString();
    expect(text('extra-roots.crt')).toBe(before);
    expect(text('ca.crt')).not.toBe(before);
    await waitFor(
      'both roots published',
      async () => (await bundle())['ca.crt'] === `${text('ca.crt')}${before}`,
    );
  });
});
