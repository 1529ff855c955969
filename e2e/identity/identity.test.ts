/**
 * Issue 14, "Done when", on real sockets: the in-memory API server, the dns-controller's identity role (the
 * mesh CA and the issuer over TLS) and node-proxies for three nodes, each with its pod-bound token. Workload
 * certificates short-lived (10 s) so renewal, an outage and a root rotation happen within the test.
 */
import { X509Certificate } from 'node:crypto';
import { generateCa } from '@nodemesh/dns-controller';
import { IssuerClient, newWorkloadKey, renewalTime } from '@nodemesh/node-proxy';
import { DEFAULT_ISSUER_SECRET, issuerServerName, TRUST_BUNDLE_CONFIG_MAP } from '@nodemesh/smi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../deploy/test-api.js';
import { findPrometheus, IdentityMesh, MutualTls, side, startPrometheus } from './support.js';

const TTL_SECONDS = 10;
let mesh: IdentityMesh;

beforeAll(async () => {
  mesh = await IdentityMesh.start(TTL_SECONDS);
  for (const node of ['node-a', 'node-b', 'node-c']) await mesh.node(node);
  await mesh.pod('shop', 'orders-1', 'orders', 'node-a');
  await mesh.pod('shop', 'web-1', 'web', 'node-a');
  await mesh.pod('shop', 'billing-1', 'billing', 'node-b');
  await mesh.pod('shop', 'batch-1', 'batch', 'node-c');
  await mesh.account('nodemesh', 'intruder');
  await mesh.startProxy('node-a', 'proxy-a');
  await mesh.startProxy('node-b', 'proxy-b');
  // node-c's "proxy" runs with a token of another ServiceAccount.
  await mesh.startProxy('node-c', 'intruder', 'intruder');
});

afterAll(async () => {
  await mesh?.stop();
});

const proxyOf = (node: string) => {
  const running = mesh.proxies.get(node);
  if (running === undefined) throw new Error(`no proxy on ${node}`);
  return running;
};
const metrics = async (node: string) => proxyOf(node).proxy.metrics.registry.metrics();
const sameList = (a: readonly string[], b: readonly string[]) => a.join() === b.join();

async function secretData(): Promise<Record<string, string>> {
  const secret = await mesh.api.call('GET', `/api/v1/namespaces/nodemesh/secrets/${DEFAULT_ISSUER_SECRET}`);
  const data = secret.data as Record<string, string>;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

async function putSecret(data: Record<string, string>): Promise<void> {
  await mesh.api.call('PUT', `/api/v1/namespaces/nodemesh/secrets/${DEFAULT_ISSUER_SECRET}`, {
    metadata: { name: DEFAULT_ISSUER_SECRET },
    type: 'kubernetes.io/tls',
    stringData: data,
  });
}

describe('certificates bound to the node', () => {
  it('each node-proxy holds certificates for exactly the ServiceAccounts of its node’s pods', async () => {
    await waitFor(
      'node-a and node-b hold their ServiceAccounts',
      () =>
        sameList(mesh.held('node-a'), ['nodemesh/nodemesh-node-proxy', 'shop/orders', 'shop/web']) &&
        sameList(mesh.held('node-b'), ['nodemesh/nodemesh-node-proxy', 'shop/billing']),
    );
    for (const cert of proxyOf('node-a').identities?.held() ?? []) {
      const leaf = new X509Certificate(
        `${cert.chainPem.split('-----END CERTIFICATE-----')[0]}-----END CERTIFICATE-----\n`,
      );
      expect(leaf.subjectAltName).toBe(
        `URI:spiffe://cluster.local/ns/${cert.namespace}/sa/${cert.serviceAccount}`,
      );
    }
    // A pod comes to node-b with a ServiceAccount of node-a; node-b's last billing pod goes.
    await mesh.pod('shop', 'web-2', 'web', 'node-b');
    await mesh.deletePod('shop', 'billing-1');
    await waitFor('node-b follows its pods', () =>
      sameList(mesh.held('node-b'), ['nodemesh/nodemesh-node-proxy', 'shop/web']),
    );
    expect(mesh.held('node-a')).toEqual(['nodemesh/nodemesh-node-proxy', 'shop/orders', 'shop/web']);
    await mesh.pod('shop', 'billing-1', 'billing', 'node-b');
    await waitFor('billing back on node-b', () => mesh.held('node-b').includes('shop/billing'));
  });

  it('the identities of two nodes authenticate each other over mutual TLS 1.3', async () => {
    const server = await MutualTls.start(side(mesh, 'node-b', 'shop', 'billing'));
    try {
      expect(await server.handshake(side(mesh, 'node-a', 'shop', 'web'))).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('asking for a ServiceAccount with no pod on the caller’s node is refused, saying why', async () => {
    const bundle = proxyOf('node-a').identities?.trustBundle?.pem ?? '';
    const client = new IssuerClient({
      url: `https://127.0.0.1:${mesh.issuerPort}`,
      serverName: issuerServerName('nodemesh'),
      tokenFile: await mesh.tokenFile('proxy-a'),
    });
    const outcome = await client.issue(
      { namespace: 'shop', serviceAccount: 'billing', csr: (await newWorkloadKey()).csrPem },
      bundle,
    );
    expect(outcome).toEqual({
      kind: 'refused',
      status: 403,
      error: {
        code: 'ServiceAccountNotOnNode',
        message: 'ServiceAccount shop/billing has no pod on node node-a',
      },
    });
  });

  it('a node-proxy with a token of another ServiceAccount gets nothing, and says so', async () => {
    await waitFor('the refusal counted', async () =>
      /nodemesh_node_proxy_certificate_requests_failed_total\{reason="NotANodeProxy"\} [1-9]/.test(
        await metrics('node-c'),
      ),
    );
    expect(mesh.held('node-c')).toEqual([]);
    const events = await mesh.api.events('shop', 'batch');
    expect(events.map((e) => e.reason)).toContain('CertificateRequestFailed');
  });
});

describe('renewal and rotation', () => {
  it('renews each certificate before it expires, at about half its life', async () => {
    const first = proxyOf('node-a').identities?.certificate('shop', 'orders');
    if (first === undefined) throw new Error('no certificate for shop/orders');
    await waitFor(
      'a renewal',
      () => proxyOf('node-a').identities?.certificate('shop', 'orders')?.notAfter !== first.notAfter,
      TTL_SECONDS * 1000,
    );
    const renewedAt = Date.now();
    expect(renewedAt).toBeLessThan(first.notAfter);
    expect(renewedAt - first.obtainedAt).toBeGreaterThan((TTL_SECONDS * 1000) / 2 - 1_500);
    expect(await metrics('node-a')).toMatch(/nodemesh_node_proxy_certificates_renewed_total [1-9]/);
    expect((await mesh.api.events('shop', 'orders')).map((e) => e.reason)).not.toContain(
      'CertificateExpired',
    );
  });

  it('a root rotation, two roots in the bundle and then one, loses no handshake', async () => {
    const server = await MutualTls.start(side(mesh, 'node-b', 'shop', 'billing'));
    const client = side(mesh, 'node-a', 'shop', 'web');
    const failures: string[] = [];
    let handshakes = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        const problem = await server.handshake(client);
        handshakes += 1;
        if (problem !== undefined) failures.push(problem);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      const old = await secretData();
      const next = await generateCa('cluster.local', new Date());
      const nextRoot = new X509Certificate(next.secretData['ca.crt'] ?? '').fingerprint256;
      const roots = (node: string) => proxyOf(node).identities?.trustBundle?.roots.length ?? 0;
      const allChainTo = (fingerprint: string) =>
        ['node-a', 'node-b'].every((node) =>
          (proxyOf(node).identities?.held() ?? []).every((cert) => {
            const bundleRoot = proxyOf(node).identities?.trustBundle?.roots.find(
              (r) => r.fingerprint256 === fingerprint,
            );
            return (
              bundleRoot !== undefined &&
              cert.rootSha256 === bundleRoot.fingerprint256.replaceAll(':', '').toLowerCase()
            );
          }),
        );

      // 1. Trust the new root beside the old one, and wait until every node does.
      await putSecret({ ...old, 'ca.crt': `${old['ca.crt']}${next.secretData['ca.crt']}` });
      await waitFor('both roots on every node', () => roots('node-a') === 2 && roots('node-b') === 2);
      // 2. Sign with the new issuer; every node renews early. Wait until no certificate chains to the old root.
      await putSecret({ ...next.secretData, 'ca.crt': `${old['ca.crt']}${next.secretData['ca.crt']}` });
      await waitFor('every certificate under the new root', () => allChainTo(nextRoot), 15_000);
      // 3. Drop the old root.
      await putSecret({ ...next.secretData });
      await waitFor('one root on every node', () => roots('node-a') === 1 && roots('node-b') === 1);
      const bundle = await mesh.api.call(
        'GET',
        `/api/v1/namespaces/nodemesh/configmaps/${TRUST_BUNDLE_CONFIG_MAP}`,
      );
      expect((bundle.data as Record<string, string>)['ca.crt']).toBe(next.secretData['ca.crt']);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      running = false;
      await loop;
      await server.close();
    }
    expect(failures).toEqual([]);
    expect(handshakes).toBeGreaterThan(20);
  });
});

describe('with --workers 2', () => {
  it('every worker holds the node’s identities, in memory, and gets each renewal and each drop', async () => {
    await mesh.node('node-d');
    await mesh.pod('shop', 'stock-1', 'stock', 'node-d');
    const fleet = await mesh.startFleet('node-d', 'proxy-d', 2);
    const spiffeId = 'spiffe://cluster.local/ns/shop/sa/stock';
    // What each worker holds for shop/stock (the node's own proxy pod has an identity too).
    const stockInWorkers = async () =>
      (await fleet.proxy.fleet.identityStatus()).map((held) => held?.find((h) => h.spiffeId === spiffeId));
    const workersHold = async (notAfter: number | undefined) => {
      const stock = await stockInWorkers();
      return stock.length === 2 && stock.every((h) => h?.context === true && h.notAfter === notAfter);
    };
    try {
      await waitFor('the primary to hold shop/stock', () =>
        (fleet.identities?.held() ?? []).some((c) => c.serviceAccount === 'stock'),
      );
      const first = fleet.identities?.certificate('shop', 'stock');
      if (first === undefined) throw new Error('no certificate for shop/stock');
      await waitFor('both workers to hold it with a TLS context', () => workersHold(first.notAfter));

      await waitFor(
        'a renewal',
        () => fleet.identities?.certificate('shop', 'stock')?.notAfter !== first.notAfter,
        TTL_SECONDS * 1000,
      );
      const renewed = fleet.identities?.certificate('shop', 'stock');
      await waitFor('both workers to hold the renewed one', () => workersHold(renewed?.notAfter));

      // The node's metrics count the certificates once (the primary holds them), not once per worker.
      const text = await (await fetch(`http://127.0.0.1:${fleet.proxy.adminPort()}/metrics`)).text();
      const issued = /^nodemesh_node_proxy_certificates_issued_total (\d+)$/m.exec(text)?.[1];
      expect(Number(issued)).toBe(fleet.identities?.held().length);
      expect(text).toMatch(
        /nodemesh_node_proxy_certificate_expiration_timestamp_seconds\{namespace="shop",service_account="stock"\} \d+/,
      );
      expect(text).toMatch(/nodemesh_build_info\{version="[^"]+"\} 1\n/);

      await mesh.deletePod('shop', 'stock-1');
      await waitFor('both workers to drop it', async () =>
        (await stockInWorkers()).every((h) => h === undefined),
      );
      expect((await fleet.proxy.fleet.identityStatus()).every((held) => held !== undefined)).toBe(true);
    } finally {
      await fleet.stop();
      mesh.fleets.delete('node-d');
    }
  }, 40_000);
});

describe('an issuer outage longer than the renewal margin', () => {
  it.skipIf(findPrometheus() === undefined)(
    'keeps every certificate in use until it expires, raises the alert, and recovers',
    async () => {
      const prometheus = await startPrometheus(mesh.dir, [
        { node: 'node-a', port: proxyOf('node-a').proxy.adminPort() ?? 0 },
      ]);
      const server = await MutualTls.start(side(mesh, 'node-b', 'shop', 'billing'));
      try {
        await mesh.stopIssuer();
        const web = proxyOf('node-a').identities?.certificate('shop', 'web');
        const billing = proxyOf('node-b').identities?.certificate('shop', 'billing');
        if (web === undefined || billing === undefined) throw new Error('no certificates held');
        const first = web.notAfter <= billing.notAfter ? web : billing;
        // Until the first of the two certificates expires, handshakes keep working.
        const failures: string[] = [];
        let handshakes = 0;
        while (Date.now() < first.notAfter - 1_000) {
          const problem = await server.handshake(side(mesh, 'node-a', 'shop', 'web'));
          handshakes += 1;
          if (problem !== undefined) failures.push(problem);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(failures).toEqual([]);
        expect(handshakes).toBeGreaterThan(10);
        // The outage outlasted the renewal margin: the certificate in use is past its renewal time, not renewed.
        expect(Date.now()).toBeGreaterThan(renewalTime(first));
        expect(proxyOf('node-a').identities?.certificate('shop', 'web')).toBe(web);
        expect(proxyOf('node-b').identities?.certificate('shop', 'billing')).toBe(billing);
        // The alert went pending (it fires after its `for`) while the certificates were overdue; ALERTS is kept
        // as a series, so it is found even once they have expired.
        let alert: { metric: Record<string, string> } | undefined;
        await waitFor(
          'the renewal-overdue alert',
          async () => {
            [alert] = await prometheus.query(
              'max_over_time(ALERTS{alertname="NodemeshCertificateRenewalOverdue"}[2m])',
            );
            return alert !== undefined;
          },
          10_000,
        );
        expect(alert?.metric).toMatchObject({
          node: 'node-a',
          alertstate: expect.stringMatching(/pending|firing/),
        });
        expect(await metrics('node-a')).toMatch(
          /nodemesh_node_proxy_certificate_requests_failed_total\{reason="unreachable"\} [1-9]/,
        );
        expect((await mesh.api.events('shop', 'web')).map((e) => e.reason)).toContain(
          'IdentityIssuerUnreachable',
        );

        // Past expiry the identity is gone (and said so); with the issuer back, it returns.
        await waitFor(
          'expiry',
          () => proxyOf('node-a').identities?.certificate('shop', 'web') === undefined,
          5_000,
        );
        expect(proxyOf('node-a').identities?.secureContextFor('shop', 'web')).toBeUndefined();
        await waitFor('an Event about the expiry', async () =>
          (await mesh.api.events('shop', 'web')).some((e) => e.reason === 'CertificateExpired'),
        );
        await mesh.startIssuer();
        await waitFor(
          'certificates again on both nodes',
          () => mesh.held('node-a').includes('shop/web') && mesh.held('node-b').includes('shop/billing'),
          10_000,
        );
        expect(await server.handshake(side(mesh, 'node-a', 'shop', 'web'))).toBeUndefined();
      } finally {
        await server.close();
        await prometheus.stop();
      }
    },
    60_000,
  );
});
