import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ApiServer } from '@nodemesh/apiserver';
import { afterEach, describe, expect, it } from 'vitest';
import {
  COREFILE,
  call,
  corefile,
  createService,
  dig,
  digStatus,
  shadowsByService,
  startCluster,
  waitFor,
} from './support.js';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const execFileAsync = promisify(execFile);

let server: ApiServer | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      process.kill(child.pid, 'SIGKILL');
  }
  await server?.stop();
  server = undefined;
});

/** Runs the binary to completion (bounded); resolves with its exit code and output. */
async function runBin(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [bin, ...args], {
      timeout: 20_000,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

// CI builds before testing (`pnpm test` runs `pnpm build`); the binary is the built one.
describe.skipIf(!existsSync(bin) || !existsSync('/usr/bin/dig'))('the nodemesh-dns binary', () => {
  it('prints help and rejects bad flags naming them', async () => {
    const help = await runBin(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('nodemesh-dns run');
    expect(help.stdout).toContain('--cluster-dns');
    expect(help.stdout).toContain('NODEMESH_DNS_TTL');
    const bad = await runBin(['run', '--cluster-dns', 'bind'], { NODEMESH_DNS_PORT: 'x' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('NODEMESH_DNS_PORT: must be a port number');
    expect(bad.stderr).toContain(
      '--cluster-dns: must be one of auto, coredns, coredns-custom, kube-dns, none',
    );
  });

  it('runs, answers dig, and exits cleanly on SIGTERM, releasing the lease', async () => {
    server = await startCluster();
    const child = spawn(
      process.execPath,
      [
        bin,
        'run',
        '--server',
        server.url,
        '--dns-host=127.0.0.1',
        '--dns-port=0',
        '--admin-host=127.0.0.1',
        '--admin-port=0',
        '--lease-duration=2s',
        '--lease-renew-deadline=1s',
        '--lease-retry-period=200ms',
      ],
      { env: { PATH: process.env.PATH ?? '', POD_NAME: 'bin-test' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let dnsPort = 0;
    await waitFor('the DNS port in the log', () => {
      const m = /"msg":"mesh DNS server listening".*?"port":(\d+)/.exec(stderr);
      dnsPort = Number(m?.[1] ?? 0);
      return dnsPort > 0;
    });
    await waitFor('leadership', () => stderr.includes('"msg":"became the leader"'));
    await createService(server, 'shop', 'orders', [{ name: 'web', port: 80 }]);
    await waitFor('the shadow', async () => (await shadowsByService(server as ApiServer)).has('shop/orders'));
    await waitFor(
      'the name',
      async () => digStatus(await dig(dnsPort, 'orders.shop.mesh', 'A')) === 'NOERROR',
    );
    const ip = (await shadowsByService(server)).get('shop/orders')?.spec as { clusterIP: string };
    expect((await dig(dnsPort, 'orders.shop.mesh', 'A', '+short')).trim()).toBe(ip.clusterIP);

    if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
    ]);
    expect(code).toBe(0);
    expect(stderr).toContain('"msg":"stopped"');
    const lease = await call(
      server,
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/nodemesh/leases/nodemesh-dns-controller',
    );
    expect((lease.body.spec as { holderIdentity?: string }).holderIdentity ?? '').toBe('');
  });

  it('prepare adds the Corefile block; cleanup removes it byte for byte, every shadow and strict policy', async () => {
    server = await startCluster();
    const prepared = await runBin(['prepare', '--server', server.url]);
    expect(prepared.code).toBe(0);
    expect(await corefile(server)).toContain('# nodemesh:begin');
    await createService(server, 'shop', 'orders', [{ name: 'web', port: 80 }]);
    // A shadow as the controller would have left it.
    const { shadowServiceName, shadowLabels } = await import('@nodemesh/smi-types');
    await call(server, 'POST', '/api/v1/namespaces/nodemesh/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: shadowServiceName('shop', 'orders'),
        labels: shadowLabels({ namespace: 'shop', name: 'orders' }),
        annotations: { 'nodemesh.io/traffic-type': 'http' },
      },
      spec: { ports: [{ name: 'web', port: 80, targetPort: 5000 }] },
    });
    expect((await shadowsByService(server)).size).toBe(1);
    // A strict-mode NetworkPolicy it would have left, and one of the user's (kept).
    const { desiredStrictPolicy } = await import('../../src/index.js');
    const policies = '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies';
    await call(
      server,
      'POST',
      policies,
      desiredStrictPolicy({ namespace: 'shop', name: 'orders' }, { app: 'orders' }, 'nodemesh'),
    );
    await call(server, 'POST', policies, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'mine' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
    const cleaned = await runBin(['cleanup'], { NODEMESH_SERVER: server.url });
    expect(cleaned.code).toBe(0);
    expect(await corefile(server)).toBe(COREFILE);
    expect((await shadowsByService(server)).size).toBe(0);
    const left = ((await call(server, 'GET', policies)).body.items ?? []) as { metadata: { name: string } }[];
    expect(left.map((p) => p.metadata.name)).toEqual(['mine']);
    expect((await call(server, 'GET', '/api/v1/namespaces/nodemesh/services/nodemesh-dns')).status).toBe(200);
  });

  it('prepare fails, changing nothing, when the DNS Service is missing', async () => {
    server = await startCluster();
    await call(server, 'DELETE', '/api/v1/namespaces/nodemesh/services/nodemesh-dns');
    const prepared = await runBin(['prepare', '--server', server.url]);
    expect(prepared.code).toBe(1);
    expect(prepared.stderr).toContain('nodemesh/nodemesh-dns not found');
    expect(await corefile(server)).toBe(COREFILE);
  });

  it('cleanup reports a Corefile it cannot clean, still removes the shadows, and exits 1', async () => {
    server = await startCluster();
    const cm = await call(server, 'GET', '/api/v1/namespaces/kube-system/configmaps/coredns');
    const broken = `# nodemesh:begin\n${COREFILE}`;
    (cm.body.data as { Corefile: string }).Corefile = broken;
    await call(server, 'PUT', '/api/v1/namespaces/kube-system/configmaps/coredns', cm.body);
    const { shadowServiceName, shadowLabels } = await import('@nodemesh/smi-types');
    await call(server, 'POST', '/api/v1/namespaces/nodemesh/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: shadowServiceName('shop', 'orders'),
        labels: shadowLabels({ namespace: 'shop', name: 'orders' }),
        annotations: { 'nodemesh.io/traffic-type': 'http' },
      },
      spec: { ports: [{ name: 'web', port: 80, targetPort: 5000 }] },
    });
    const cleaned = await runBin(['cleanup', '--server', server.url]);
    expect(cleaned.code).toBe(1);
    expect(cleaned.stderr).toContain('coredns.data.Corefile');
    expect(await corefile(server)).toBe(broken);
    expect((await shadowsByService(server)).size).toBe(0);
  });
});
