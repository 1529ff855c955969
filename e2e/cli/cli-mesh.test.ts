/**
 * `nodemesh` against local mode's mesh (the in-memory API server, the dns-controller and a node-proxy on each
 * of its two nodes, as the same binaries a cluster runs): check on a healthy and on a broken mesh, stat
 * numbers against the requests this test sends, config of the real node-proxy, version. The commands run
 * in-process (runCli) so that `stat`'s window can be filled with exactly the traffic the test sends. Needs
 * `pnpm build`.
 */
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import { runCli } from '@nodemesh/cli';
import { removeMeshBlock } from '@nodemesh/dns-controller';
import { DEFAULT_LOCAL_SETTINGS, type LocalMesh, type LocalSettings, startLocalMesh } from '@nodemesh/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../deploy/manifests.js';

const built = ['dns-controller', 'node-proxy', 'local'].every((pkg) =>
  existsSync(`${REPO_ROOT}packages/${pkg}/dist/bin.js`),
);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe.skipIf(!built)('nodemesh against local mode', () => {
  let mesh: LocalMesh | undefined;
  let settings: LocalSettings;
  let backend: Server;
  let server = '';
  let shadowIp = '';
  let tcpEchoIp = '';

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok && response.status !== 404)
      throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
  };

  const cli = async (args: string[], sleep?: (ms: number) => Promise<void>) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      ['-s', server, ...args],
      { out: (t) => out.push(t), err: (t) => err.push(t), color: false },
      sleep ? { sleep } : {},
    );
    return { code, out: out.join(''), err: err.join('') };
  };

  /** One HTTP request from the stat-client pod's address to the stat-target shadow, as a meshed pod makes it. */
  const call = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: shadowIp,
          port: 8080,
          path,
          localAddress: `${settings.podPrefix}.42`,
          headers: { host: 'stat-target.default.mesh:8080' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });

  const pod = (name: string, labels: Record<string, string>, port?: number) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: {
      nodeName: settings.nodeName,
      serviceAccountName: name,
      containers: [{ name, image: name, ...(port ? { ports: [{ containerPort: port }] } : {}) }],
    },
  });
  const createPod = async (manifest: { metadata: { name: string } }, ip: string, namespace = 'default') => {
    const created = await api('POST', `/api/v1/namespaces/${namespace}/pods`, manifest);
    await api('PUT', `/api/v1/namespaces/${namespace}/pods/${manifest.metadata.name}/status`, {
      ...created,
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  };
  const shadowOf = (name: string) =>
    until(`the shadow of ${name}`, async () => {
      const list = await api(
        'GET',
        `/api/v1/namespaces/nodemesh/services?labelSelector=nodemesh.io/shadow-of-name=${name}`,
      );
      const item = (list?.items as { spec?: { clusterIP?: string } }[] | undefined)?.[0];
      return item?.spec?.clusterIP;
    });

  beforeAll(async () => {
    const block = 200 + (process.pid % 25);
    settings = {
      ...DEFAULT_LOCAL_SETTINGS,
      apiPort: await freePort(),
      dnsPort: await freePort(),
      dnsAdminPort: await freePort(),
      proxyAdminPort: await freePort(),
      proxyDebugPort: await freePort(),
      serviceCidr: `127.${block}.0.0/16`,
      nodeIP: `127.${block + 25}.0.1`,
      secondNodeIP: `127.${block + 25}.0.2`,
      secondProxyAdminPort: await freePort(),
      podPrefix: `127.${block + 25}.1`,
    };
    mesh = await startLocalMesh(settings, () => {});
    server = mesh.server;
    // A backend of our own, so the numbers are only the requests this test sends: ?status= and ?delay= (ms).
    backend = createHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      setTimeout(
        () => {
          res.writeHead(Number(url.searchParams.get('status') ?? '200'));
          res.end('ok');
        },
        Number(url.searchParams.get('delay') ?? '0'),
      );
    });
    await new Promise<void>((resolve) => backend.listen(8080, `${settings.podPrefix}.41`, resolve));
    await createPod(pod('stat-backend', { app: 'stat-backend' }, 8080), `${settings.podPrefix}.41`);
    await createPod(pod('stat-client', { app: 'stat-client' }), `${settings.podPrefix}.42`);
    await api('POST', '/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'stat-target', namespace: 'default' },
      spec: { selector: { app: 'stat-backend' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] },
    });
    shadowIp = await shadowOf('stat-target');
    tcpEchoIp = await shadowOf('tcp-echo');
    await until('a route to stat-target', async () => ((await call('/')) === 200 ? true : undefined));
    // The proxy asks for its pods' certificates once it has seen them: `check` judges them, so wait for them.
    for (const admin of [
      `127.0.0.1:${settings.proxyAdminPort}`,
      `${settings.secondNodeIP}:${settings.secondProxyAdminPort}`,
    ]) {
      await until(`the node-proxy at ${admin} to hold certificates`, async () => {
        const text = await (await fetch(`http://${admin}/metrics`)).text();
        return /^nodemesh_node_proxy_certificate_expiration_timestamp_seconds\{/m.test(text)
          ? true
          : undefined;
      });
    }
  }, 120_000);

  afterAll(async () => {
    await new Promise((resolve) => backend?.close(resolve));
    await mesh?.stop();
  }, 30_000);

  it('check passes on the running mesh (exit 0)', async () => {
    const result = await cli(['check']);
    expect(result.err).toBe('');
    expect(result.out).toContain('✔ one leader: dns-controller-local');
    expect(result.out).toContain('✔ forward block for "mesh" in place (corefile');
    // Local mode's two nodes, each with its node-proxy (the second one's reached at its node's address).
    expect(result.out).toContain('✔ node-proxy ready on 2 of 2 schedulable nodes');
    // Workload identity, from the components' own metrics: the issuer, the root, the proxy's certificates.
    expect(result.out).toMatch(/✔ issuer: ready, its certificate expires in 36[45]d/);
    expect(result.out).toMatch(/✔ root [0-9a-f]{16} expires in \d+d/);
    expect(result.out).toMatch(
      /✔ node-proxy nodemesh-node-proxy-local on node local: \d+ certificates, the soonest expires in /,
    );
    expect(result.out).toMatch(
      /✔ node-proxy nodemesh-node-proxy-local-b on node local-b: 2 certificates, the soonest expires in /,
    );
    expect(result.code).toBe(0);
  });

  it('stat svc: the requests, success rate and latency of exactly the traffic sent in the window', async () => {
    const sent = async () => {
      for (let i = 0; i < 15; i++) expect(await call('/?delay=30')).toBe(200);
      for (let i = 0; i < 5; i++) expect(await call('/?status=503')).toBe(503);
    };
    const result = await cli(
      ['stat', 'svc', 'stat-target', '-n', 'default', '--window', '5s', '-o', 'json'],
      sent,
    );
    expect(result.code).toBe(0);
    const [row] = (JSON.parse(result.out) as { rows: Record<string, number | string>[] }).rows;
    expect(row).toMatchObject({
      namespace: 'default',
      name: 'stat-target',
      requests: 20,
      successRate: 0.75,
      tcpConnections: 0,
    });
    expect(row?.rps).toBeGreaterThan(0);
    // 15 of 20 took ≥ 30 ms, 5 were fast: the median lies in the 25–50 ms bucket, p95 too.
    expect(Number(row?.latencyP50Ms)).toBeGreaterThanOrEqual(25);
    expect(Number(row?.latencyP50Ms)).toBeLessThanOrEqual(50);
    expect(Number(row?.latencyP95Ms)).toBeLessThanOrEqual(100);
  });

  it('stat caller: per calling workload; and TCP connections and bytes', async () => {
    const result = await cli(
      ['stat', 'caller', 'stat-client', '-n', 'default', '--window', '5s', '-o', 'json'],
      async () => {
        for (let i = 0; i < 7; i++) await call('/');
      },
    );
    expect(result.code).toBe(0);
    const [caller] = (JSON.parse(result.out) as { rows: Record<string, unknown>[] }).rows;
    expect(caller).toMatchObject({ namespace: 'default', name: 'stat-client', requests: 7, successRate: 1 });

    const tcp = await cli(
      ['stat', 'svc', 'tcp-echo', '-n', 'default', '--window', '5s', '-o', 'json'],
      async () => {
        for (let i = 0; i < 3; i++) {
          await new Promise<void>((resolve, reject) => {
            const socket = connect(
              { host: tcpEchoIp, port: 7000, localAddress: `${settings.podPrefix}.42` },
              () => socket.write('hello'),
            );
            socket.once('data', () => socket.end());
            socket.on('close', () => resolve());
            socket.on('error', reject);
          });
        }
        // The proxy counts a connection's bytes as they flow and its end when both sides closed.
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    );
    const [echo] = (JSON.parse(tcp.out) as { rows: Record<string, unknown>[] }).rows;
    expect(echo).toMatchObject({ name: 'tcp-echo', tcpConnections: 3, tcpBytes: 30, requests: 0 });
  });

  it('stat prints a table for people, every Service of the namespace', async () => {
    const result = await cli(['stat', 'svc', '-n', 'default', '--window', '0']);
    expect(result.code).toBe(0);
    expect(result.out.split('\n')[0]).toMatch(
      /^NAMESPACE\s+SERVICE\s+SUCCESS\s+RPS\s+LATENCY_P50\s+LATENCY_P95\s+LATENCY_P99\s+TCP_CONN$/,
    );
    expect(result.out).toMatch(/\ndefault\s+bookstore\s+\d+\.\d\d%/);
    expect(result.out).toMatch(/\ndefault\s+stat-target\s+/);
    expect((await cli(['stat', 'svc', 'nope', '-n', 'default', '--window', '0'])).code).toBe(1);
  });

  it("config shows the node-proxy's real snapshot, read through a port-forward", async () => {
    const table = await cli(['config', settings.nodeName, '--service', 'stat-target', '-n', 'default']);
    expect(table.code).toBe(0);
    expect(table.out).toContain('node-proxy nodemesh/nodemesh-node-proxy-local on node local');
    expect(table.out).toMatch(
      /http\s+5000\s+stat-target\.default\.mesh \(\+3\)\s+default\/stat-target\s+8080/,
    );
    expect(table.out).toContain(`${settings.podPrefix}.41:8080`);
    const json = await cli(['config', settings.nodeName, '-o', 'json']);
    const snapshot = JSON.parse(json.out) as { http: { hosts: Record<string, unknown> }[] };
    expect(Object.keys(snapshot.http[0]?.hosts ?? {})).toContain('bookstore.default.mesh:8080');
    expect((await cli(['config', 'nowhere'])).code).toBe(1);
  });

  it('version shows the client and every component', async () => {
    const result = await cli(['version', '-o', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({
      client: '0.1.0',
      components: [
        { component: 'dns-controller', pod: 'dns-controller-local', version: '0.1.0' },
        { component: 'node-proxy', pod: 'nodemesh-node-proxy-local', version: '0.1.0' },
        { component: 'node-proxy', pod: 'nodemesh-node-proxy-local-b', version: '0.1.0' },
      ],
    });
  });

  it('check reports a broken mesh, each problem with its fix, exit 1; and passes again once repaired', async () => {
    const leasePath = '/apis/coordination.k8s.io/v1/namespaces/nodemesh/leases/nodemesh-dns-controller';
    // A stuck leader elsewhere: the running dns-controller stops writing, so what breaks stays broken.
    const lease = await api('GET', leasePath);
    await api('PUT', leasePath, {
      ...lease,
      spec: {
        ...(lease?.spec as object),
        holderIdentity: 'stuck-elsewhere',
        leaseDurationSeconds: 3600,
        renewTime: new Date().toISOString(),
      },
    });
    await until('the dns-controller to step down', async () => {
      const text = await (await fetch(`http://127.0.0.1:${settings.dnsAdminPort}/metrics`)).text();
      return text.includes('nodemesh_dns_controller_is_leader 0') ? true : undefined;
    });
    // The DNS block removed.
    const coredns = await api('GET', '/api/v1/namespaces/kube-system/configmaps/coredns');
    const removed = removeMeshBlock(String((coredns?.data as { Corefile?: string } | undefined)?.Corefile));
    if (!removed.ok || !removed.value.changed) throw new Error('no mesh block to remove');
    await api('PUT', '/api/v1/namespaces/kube-system/configmaps/coredns', {
      ...coredns,
      data: { Corefile: removed.value.corefile },
    });
    // An orphaned shadow: the Service it stood for is gone.
    await api('POST', '/api/v1/namespaces/nodemesh/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'gone-0a1b2c3d',
        namespace: 'nodemesh',
        labels: {
          'app.kubernetes.io/part-of': 'nodemesh',
          'nodemesh.io/shadow-of-namespace': 'default',
          'nodemesh.io/shadow-of-name': 'gone',
        },
      },
      spec: {
        selector: { 'app.kubernetes.io/component': 'node-proxy' },
        ports: [{ name: 'http', port: 80, targetPort: 5000 }],
      },
    });
    // A proxy down: its Pod still says Ready (no kubelet here to notice), but nothing answers on its admin port.
    await api('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' } });
    const deadPort = await freePort();
    const proxyLabels = {
      'app.kubernetes.io/part-of': 'nodemesh',
      'app.kubernetes.io/component': 'node-proxy',
    };
    const deadProxy = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'node-proxy-b', namespace: 'nodemesh', labels: proxyLabels },
      spec: {
        nodeName: 'node-b',
        serviceAccountName: 'nodemesh-node-proxy',
        containers: [{ name: 'node-proxy', image: 'x', ports: [{ name: 'admin', containerPort: deadPort }] }],
      },
    };
    await createPod(deadProxy, '127.0.0.1', 'nodemesh');
    // The orphan and the new node-proxy pod are new inputs: a live proxy may be not ready for a moment while its
    // workers apply them. Checked again until only what the test broke fails (bounded), else as it is then.
    const broken =
      (await until(
        'check to find exactly the four broken parts',
        async () => {
          const result = await cli(['check']);
          return /Status: FAILED: \d+ passed, \d+ warnings?, 4 failed/.test(result.out) ? result : undefined;
        },
        20_000,
      ).catch(() => undefined)) ?? (await cli(['check']));
    expect(broken.code).toBe(1);
    const out = broken.out;
    expect(out).toContain('✘ the leader stuck-elsewhere is not a ready dns-controller pod');
    expect(out).toContain('✘ the forward block for "mesh" is missing or stale in kube-system/coredns');
    expect(out).toContain('✘ orphaned shadow Service nodemesh/gone-0a1b2c3d');
    expect(out).toContain(
      'fix: the dns-controller leader deletes it; while none leads: kubectl -n nodemesh delete service gone-0a1b2c3d',
    );
    expect(out).toContain('✘ node-proxy on node node-b not ready');
    expect(out).toContain(
      'fix: kubectl -n nodemesh describe pod node-proxy-b; kubectl -n nodemesh logs node-proxy-b --tail=50',
    );
    expect(out).toMatch(/Status: FAILED: \d+ passed, \d+ warnings?, 4 failed/);
    const json = JSON.parse((await cli(['check', '-o', 'json'])).out) as {
      results: { status: string; fix?: string }[];
    };
    expect(json.results.filter((r) => r.status === 'fail').every((r) => (r.fix ?? '') !== '')).toBe(true);

    // Repaired: the dead proxy's node and pod go, the Lease is released; the leader puts the block back and
    // deletes the orphan by itself.
    await api('DELETE', '/api/v1/namespaces/nodemesh/pods/node-proxy-b');
    await api('DELETE', '/api/v1/nodes/node-b');
    await api('DELETE', leasePath);
    const healed = await until(
      'check to pass again',
      async () => {
        const result = await cli(['check']);
        return result.code === 0 ? result : undefined;
      },
      45_000,
    );
    expect(healed.out).toContain('✔ every meshed Service has its shadow');
  }, 90_000);
});
