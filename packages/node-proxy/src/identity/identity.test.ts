import { webcrypto } from 'node:crypto';
import { silentLogger } from '@nodemesh/kube-runtime';
import { MetricsRegistry } from '@nodemesh/kube-runtime/metrics';
import type { CertificateRequest } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { acceptIssued, isOverdue, renewalTime } from './held-certificate.js';
import type { IssueOutcome } from './issuer-client.js';
import { ReceivedIdentities } from './received-identities.js';
import { readTrustBundle } from './trust-bundle.js';
import { WorkloadIdentities } from './workload-identities.js';
import { newWorkloadKey } from './workload-key.js';
import { P256, x509 } from './x509.js';

/** A root and an issuer under it, signing leaves the way the mesh CA does. */
async function testCa() {
  const rootKeys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=test root',
    keys: rootKeys as never,
    signingAlgorithm: P256,
    notAfter: new Date(Date.now() + 86_400_000),
    extensions: [new x509.BasicConstraintsExtension(true, 1, true)],
  });
  const issuerKeys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const issuer = await x509.X509CertificateGenerator.create({
    subject: 'CN=test issuer',
    issuer: root.subject,
    publicKey: issuerKeys.publicKey as never,
    signingKey: rootKeys.privateKey as never,
    signingAlgorithm: P256,
    notAfter: new Date(Date.now() + 86_400_000),
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  const rootPem = `${root.toString('pem')}\n`;
  return {
    bundle: { data: { 'ca.crt': rootPem } },
    async sign(csrPem: string, uri: string, ttlMs: number): Promise<string> {
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      const leaf = await x509.X509CertificateGenerator.create({
        subject: '',
        issuer: issuer.subject,
        publicKey: csr.publicKey,
        signingKey: issuerKeys.privateKey as never,
        signingAlgorithm: P256,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + ttlMs),
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }], true)],
      });
      return `${leaf.toString('pem')}\n${issuer.toString('pem')}\n`;
    },
  };
}

const ORDERS = {
  namespace: 'shop',
  serviceAccount: 'orders',
  spiffeId: 'spiffe://cluster.local/ns/shop/sa/orders',
};

describe('acceptIssued', () => {
  it('accepts a certificate for our key and name that chains to the bundle, and nothing else', async () => {
    const ca = await testCa();
    const bundle = readTrustBundle(ca.bundle);
    if (!bundle.ok) throw new Error(bundle.problem);
    const key = await newWorkloadKey();
    const answer = (chain: string) => ({
      spiffeId: ORDERS.spiffeId,
      certificateChain: chain,
      trustBundle: '',
      notBefore: '',
      notAfter: '',
    });
    const now = Date.now();
    const good = acceptIssued(
      answer(await ca.sign(key.csrPem, ORDERS.spiffeId, 60_000)),
      ORDERS,
      key.keyPem,
      bundle.bundle,
      now,
    );
    expect(typeof good === 'string' ? good : good.spiffeId).toBe(ORDERS.spiffeId);
    const otherName = await ca.sign(key.csrPem, 'spiffe://cluster.local/ns/shop/sa/admin', 60_000);
    expect(acceptIssued(answer(otherName), ORDERS, key.keyPem, bundle.bundle, now)).toContain('names');
    const otherKey = await newWorkloadKey();
    expect(
      acceptIssued(
        answer(await ca.sign(otherKey.csrPem, ORDERS.spiffeId, 60_000)),
        ORDERS,
        key.keyPem,
        bundle.bundle,
        now,
      ),
    ).toBe('the certificate is not for our key');
    const stranger = await testCa();
    const foreign = readTrustBundle(stranger.bundle);
    if (!foreign.ok) throw new Error(foreign.problem);
    expect(
      acceptIssued(
        answer(await ca.sign(key.csrPem, ORDERS.spiffeId, 60_000)),
        ORDERS,
        key.keyPem,
        foreign.bundle,
        now,
      ),
    ).toBe('the certificate does not chain to a root of the trust bundle');
  });

  it('renews at half the life counted from when it was obtained, and calls it overdue a little after', () => {
    const cert = { obtainedAt: 1_000_000, notAfter: 1_000_000 + 86_400_000 };
    expect(renewalTime(cert)).toBe(1_000_000 + 43_200_000);
    expect(isOverdue(cert, renewalTime(cert) + 59_000)).toBe(false);
    expect(isOverdue(cert, renewalTime(cert) + 61_000)).toBe(true);
  });
});

describe('WorkloadIdentities', () => {
  const runningPod = (name: string, serviceAccountName: string) => ({
    metadata: { namespace: 'shop', name },
    spec: { serviceAccountName },
    status: { phase: 'Running', podIP: '10.0.0.1' },
  });

  it('follows the node’s pods, and keeps a certificate through failures until it expires', async () => {
    const ca = await testCa();
    let issuerUp = true;
    const asked: CertificateRequest[] = [];
    const events: string[] = [];
    const identities = new WorkloadIdentities({
      trustDomain: 'cluster.local',
      nodeName: 'node-a',
      events: { record: (_object, _type, reason) => events.push(reason) },
      logger: silentLogger,
      registry: new MetricsRegistry(),
      retryInitialMs: 20,
      retryMaxMs: 50,
      client: {
        async issue(body): Promise<IssueOutcome> {
          asked.push(body);
          if (!issuerUp) return { kind: 'unreachable', message: 'connection refused' };
          const uri = `spiffe://cluster.local/ns/${body.namespace}/sa/${body.serviceAccount}`;
          const chain = await ca.sign(body.csr, uri, 1_200);
          return {
            kind: 'issued',
            response: {
              spiffeId: uri,
              certificateChain: chain,
              trustBundle: '',
              notBefore: '',
              notAfter: '',
            },
          };
        },
      },
    });
    try {
      identities.podChanged(runningPod('orders-1', 'orders'));
      identities.podChanged(runningPod('orders-2', 'orders'));
      identities.setTrustBundle(ca.bundle);
      await expect.poll(() => identities.held().map((c) => c.serviceAccount)).toEqual(['orders']);
      expect(identities.secureContextFor('shop', 'orders')).toBeDefined();
      expect(asked).toHaveLength(1);

      issuerUp = false;
      const held = identities.certificate('shop', 'orders');
      await expect.poll(() => events.includes('IdentityIssuerUnreachable'), { timeout: 2_000 }).toBe(true);
      expect(identities.certificate('shop', 'orders')).toBe(held);
      await expect.poll(() => identities.certificate('shop', 'orders'), { timeout: 3_000 }).toBeUndefined();
      expect(events).toContain('CertificateExpired');

      issuerUp = true;
      await expect.poll(() => identities.held().length, { timeout: 2_000 }).toBe(1);
      identities.podDeleted(runningPod('orders-1', 'orders'));
      expect(identities.held()).toHaveLength(1);
      identities.podDeleted(runningPod('orders-2', 'orders'));
      expect(identities.held()).toEqual([]);
    } finally {
      identities.stop();
    }
  });
  it('holds the node proxies’ own certificate whatever pods come and go (the tunnel server presents it)', async () => {
    const ca = await testCa();
    const identities = new WorkloadIdentities({
      trustDomain: 'cluster.local',
      nodeName: 'node-a',
      events: { record: () => undefined },
      logger: silentLogger,
      registry: new MetricsRegistry(),
      client: {
        async issue(body): Promise<IssueOutcome> {
          const uri = `spiffe://cluster.local/ns/${body.namespace}/sa/${body.serviceAccount}`;
          const chain = await ca.sign(body.csr, uri, 60_000);
          const response = {
            spiffeId: uri,
            certificateChain: chain,
            trustBundle: '',
            notBefore: '',
            notAfter: '',
          };
          return { kind: 'issued', response };
        },
      },
    });
    // On the host network the node-proxy pod counts as no caller: only `hold` asks for its certificate.
    const proxyPod = {
      metadata: { namespace: 'nodemesh', name: 'proxy-a' },
      spec: { serviceAccountName: 'nodemesh-node-proxy', hostNetwork: true },
      status: { phase: 'Running', podIP: '10.0.0.1' },
    };
    try {
      identities.podChanged(proxyPod);
      identities.hold('nodemesh', 'nodemesh-node-proxy');
      identities.setTrustBundle(ca.bundle);
      await expect.poll(() => identities.secureContextFor('nodemesh', 'nodemesh-node-proxy')).toBeDefined();
      // A pod of that ServiceAccount that comes and goes does not drop it.
      identities.podChanged({ ...proxyPod, spec: { serviceAccountName: 'nodemesh-node-proxy' } });
      identities.podDeleted(proxyPod);
      expect(identities.held().map((c) => `${c.namespace}/${c.serviceAccount}`)).toEqual([
        'nodemesh/nodemesh-node-proxy',
      ]);
    } finally {
      identities.stop();
    }
  });

  it('hands a worker every change as it happens, and a new worker the whole state, keys in memory only', async () => {
    const ca = await testCa();
    const identities = new WorkloadIdentities({
      trustDomain: 'cluster.local',
      nodeName: 'node-a',
      events: { record: () => undefined },
      logger: silentLogger,
      registry: new MetricsRegistry(),
      client: {
        async issue(body): Promise<IssueOutcome> {
          const uri = `spiffe://cluster.local/ns/${body.namespace}/sa/${body.serviceAccount}`;
          const chain = await ca.sign(body.csr, uri, 60_000);
          return {
            kind: 'issued',
            response: {
              spiffeId: uri,
              certificateChain: chain,
              trustBundle: '',
              notBefore: '',
              notAfter: '',
            },
          };
        },
      },
    });
    // What a worker does with the updates its primary forwards (structured clones, as over the IPC channel).
    let clock = Date.now();
    const worker = new ReceivedIdentities(() => clock);
    identities.onChange((update) => worker.apply(structuredClone(update)));
    try {
      identities.podChanged(runningPod('orders-1', 'orders'));
      identities.setTrustBundle(ca.bundle);
      await expect.poll(() => worker.held().map((h) => h.spiffeId)).toEqual([ORDERS.spiffeId]);
      const cert = identities.certificate('shop', 'orders');
      expect(worker.held()).toEqual([{ spiffeId: ORDERS.spiffeId, notAfter: cert?.notAfter, context: true }]);
      expect(worker.secureContextFor('shop', 'orders')).toBeDefined();
      expect(worker.secureContextFor('shop', 'web')).toBeUndefined();

      // A worker that starts later gets the same from the whole state.
      const late = new ReceivedIdentities();
      late.apply(structuredClone(identities.shared()));
      expect(late.held()).toEqual(worker.held());
      // The shared state is plain data with the key as PEM: nothing in it names a file.
      expect(JSON.stringify(identities.shared())).toContain('PRIVATE KEY');

      // Past its expiry a worker stops using a certificate even before its primary says it is gone.
      clock = (cert?.notAfter ?? 0) + 1;
      expect(worker.secureContextFor('shop', 'orders')).toBeUndefined();
      clock = Date.now();

      identities.podDeleted(runningPod('orders-1', 'orders'));
      expect(worker.held()).toEqual([]);
      expect(worker.secureContextFor('shop', 'orders')).toBeUndefined();
    } finally {
      identities.stop();
    }
  });
});
