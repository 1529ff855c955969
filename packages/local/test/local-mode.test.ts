/**
 * Local mode as a user meets it: the whole mesh from the built binaries, two nodes each with its node-proxy,
 * the sample pods calling through real DNS and real sockets (to bookstore-v2 on the second node through the
 * mTLS tunnel), and `kubectl apply` changing the split. Needs `pnpm build` (pnpm test does it).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, REPO_ROOT, startLocalMesh } from '../src/launcher.js';
import { DEFAULT_LOCAL_SETTINGS, type LocalSettings } from '../src/settings.js';

const run = promisify(execFile);
const built = ['dns-controller', 'node-proxy', 'local'].every((pkg) =>
  existsSync(`${REPO_ROOT}/packages/${pkg}/dist/bin.js`),
);
const hasKubectl = existsSync('/usr/bin/kubectl');
const hasDig = existsSync('/usr/bin/dig');
const hasNc = existsSync('/usr/bin/nc');

/** Runs a command with `input` on its stdin; resolves with its stdout. Bounded by `timeoutMs`. */
function runWithInput(command: string, args: readonly string[], input: string, timeoutMs = 10_000) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} exited with ${code}: ${stderr}`));
    });
    child.stdin.end(input);
  });
}

/** The node-proxy certificates a /metrics text shows, as `namespace/serviceAccount`, sorted. */
function heldCertificates(metrics: string): string[] {
  const pattern =
    /^nodemesh_node_proxy_certificate_expiration_timestamp_seconds\{namespace="([^"]+)",service_account="([^"]+)"\}/gm;
  return [...metrics.matchAll(pattern)].map((m) => `${m[1]}/${m[2]}`).sort();
}

/** The value of the sample of `name` whose labels include every one of `labels`; 0 when there is none. */
function sampleValue(metrics: string, name: string, labels: Readonly<Record<string, string>>): number {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const text = line.slice(name.length + 1, close);
    const found = new Map(
      [...text.matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [m[1] ?? '', m[2] ?? '']),
    );
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) {
      return Number(line.slice(close + 1).trim());
    }
  }
  return 0;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(!built || !hasKubectl || !hasDig)('local mode (pnpm start)', () => {
  const lines: string[] = [];
  let mesh: LocalMesh | undefined;
  let settings: LocalSettings;

  /** Waits (bounded) for a line printed at or after index `from` that satisfies the test. */
  async function waitForLine(test: (line: string) => boolean, from = 0, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = lines.slice(from).find(test);
      if (line !== undefined) return line;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`no such line within ${timeoutMs} ms; last lines:\n${lines.slice(-20).join('\n')}`);
  }

  beforeAll(async () => {
    // Addresses apart from the defaults, so the test runs beside a user's own `pnpm start`, and apart from
    // another run of this test at the same time (one 127.x block each, chosen by process id).
    const block = 100 + (process.pid % 50);
    settings = {
      ...DEFAULT_LOCAL_SETTINGS,
      apiPort: await freePort(),
      dnsPort: await freePort(),
      dnsAdminPort: await freePort(),
      proxyAdminPort: await freePort(),
      proxyDebugPort: await freePort(),
      identityPort: await freePort(),
      serviceCidr: `127.${block}.0.0/16`,
      nodeIP: `127.${block + 50}.0.1`,
      secondNodeIP: `127.${block + 50}.0.2`,
      secondProxyAdminPort: await freePort(),
      podPrefix: `127.${block + 50}.1`,
      accessControl: true,
    };
    mesh = await startLocalMesh(settings, (line) => lines.push(line));
  }, 90_000);

  afterAll(async () => {
    await mesh?.stop();
  }, 30_000);

  it('resolves mesh names with the mesh DNS server', async () => {
    const { stdout } = await run('dig', [
      '+short',
      '@127.0.0.1',
      '-p',
      String(settings.dnsPort),
      'bookstore.default.mesh',
    ]);
    const [first, second] = settings.serviceCidr.split('.');
    expect(stdout.trim()).toMatch(new RegExp(`^${first}\\.${second}\\.\\d+\\.\\d+$`));
  });

  it('lets bookbuyer buy books and keeps bookthief out (access control on)', {
    timeout: 70_000,
  }, async () => {
    await waitForLine((line) => /\[bookbuyer\] bookbuyer: bookstore-v1 [1-9]/.test(line));
    const thief = await waitForLine((line) => /\[bookthief\] bookthief: .*refused [1-9]/.test(line));
    expect(thief).not.toMatch(/bookstore-v/);
  });

  it('gives each node-proxy a certificate for each ServiceAccount of the pods on its node and its own, no other', {
    timeout: 50_000,
  }, async () => {
    const held = async (metricsUrl: string, expected: readonly string[]) => {
      const deadline = Date.now() + 20_000;
      let last: string[] = [];
      while (Date.now() < deadline) {
        last = heldCertificates(await (await fetch(metricsUrl)).text());
        if (last.join() === expected.join()) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return last;
    };
    // The sample pods of the first node, and the dns-controller's Pod, which local mode registers on it as a
    // cluster would show it; and the node proxies' own ServiceAccount, whose certificate its tunnel server
    // presents (held although its Pod uses the node's network and so counts as no caller).
    const first = [
      'default/bookbuyer',
      'default/bookstore',
      'default/bookthief',
      'default/echo',
      'nodemesh/nodemesh-dns-controller',
      'nodemesh/nodemesh-node-proxy',
    ];
    expect(await held(`http://127.0.0.1:${settings.proxyAdminPort}/metrics`, first)).toEqual(first);
    // The second node runs bookstore-v2 only.
    const second = ['default/bookstore', 'nodemesh/nodemesh-node-proxy'];
    const secondUrl = `http://${settings.secondNodeIP}:${settings.secondProxyAdminPort}/metrics`;
    expect(await held(secondUrl, second)).toEqual(second);
  });

  it('shifts traffic when a TrafficSplit is applied with kubectl', { timeout: 40_000 }, async () => {
    const before = lines.length;
    await run('kubectl', [
      '--server',
      mesh?.server ?? '',
      'apply',
      '-f',
      `${REPO_ROOT}/deploy/examples/traffic-split-v2.yaml`,
    ]);
    await waitForLine((line) => /\[bookbuyer\] bookbuyer: .*bookstore-v2 [1-9]/.test(line), before);
  });

  it("tunnels bookbuyer's calls to bookstore-v2 on the second node, admitted there by bookbuyer's identity", {
    timeout: 40_000,
  }, async () => {
    // The split sends everything to v2 now, which runs on the second node: each call leaves the first node's
    // proxy through the tunnel, and the second node's proxy admits it by the caller's certificate.
    const firstUrl = `http://127.0.0.1:${settings.proxyAdminPort}/metrics`;
    const secondUrl = `http://${settings.secondNodeIP}:${settings.secondProxyAdminPort}/metrics`;
    // Counted by the backend Service the split sent the call to.
    const bookstore = { destination_namespace: 'default', destination_service: 'bookstore-v2' };
    const calls = async (transport: string) =>
      sampleValue(await (await fetch(firstUrl)).text(), 'nodemesh_mesh_calls_total', {
        ...bookstore,
        transport,
      });
    const accepted = async () =>
      sampleValue(await (await fetch(secondUrl)).text(), 'nodemesh_tunnel_inbound_streams_total', {
        source_identity: 'spiffe://cluster.local/ns/default/sa/bookbuyer',
        destination_identity: 'spiffe://cluster.local/ns/default/sa/bookstore',
        outcome: 'accepted',
      });
    const before = await calls('mtls');
    const deadline = Date.now() + 30_000;
    while ((await calls('mtls')) < before + 3 || (await accepted()) < 1) {
      if (Date.now() > deadline) {
        const seen = `mtls ${await calls('mtls')} (was ${before}), plaintext ${await calls('plaintext')}`;
        throw new Error(`no calls through the tunnel: ${seen}, accepted streams ${await accepted()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Nothing fell back to plaintext: the tunnel was there from the start.
    expect(await calls('plaintext')).toBe(0);
  });

  it.skipIf(!hasNc)(
    'echoes to a caller that half-closes its side (nc -N), through the kube-proxy stand-in',
    async () => {
      const { stdout } = await run('dig', [
        '+short',
        '@127.0.0.1',
        '-p',
        String(settings.dnsPort),
        'tcp-echo.default.mesh',
      ]);
      // From bookbuyer's address: access control is on, and bookbuyer may use the echo services.
      const echoed = await runWithInput(
        'nc',
        ['-N', '-w', '5', '-s', `${settings.podPrefix}.21`, stdout.trim(), '7000'],
        'hello, half-closed\n',
      );
      expect(echoed).toBe('hello, half-closed\n');
    },
  );

  it('restarts a killed node-proxy with backoff, says so, and routes again', {
    timeout: 60_000,
  }, async () => {
    const proxy = mesh?.processes.get('node-proxy');
    if (proxy === undefined) throw new Error('no node-proxy process');
    const before = lines.length;
    const pid = proxy.child.process.pid;
    if (pid === undefined) throw new Error('the node-proxy has no pid');
    process.kill(pid, 'SIGKILL');
    await waitForLine(
      (line) => line === '[local] node-proxy was killed by SIGKILL; restarting in 1 s',
      before,
    );
    await waitForLine((line) => line === '[local] node-proxy restarted (restart 1)', before);
    const ready = async () => {
      try {
        return (await fetch(`http://127.0.0.1:${settings.proxyAdminPort}/readyz`)).ok;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 30_000;
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error('the restarted node-proxy did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const after = lines.length;
    await waitForLine((line) => /\[bookbuyer\] bookbuyer: .*bookstore-v[12] [1-9]/.test(line), after);
  });

  it('lets an HTTPRoute win over the TrafficSplit, and reports it in its status', {
    timeout: 40_000,
  }, async () => {
    const server = mesh?.server ?? '';
    const v1Count = (line: string) => Number(/bookstore-v1 (\d+)/.exec(line)?.[1] ?? '0');
    const last = await waitForLine((line) => line.includes('[bookbuyer] bookbuyer:'), lines.length);
    const before = lines.length;
    // The split sends everything to v2; the route's catch-all rule sends bookbuyer (no x-canary) to v1.
    await run('kubectl', [
      '--server',
      server,
      'apply',
      '-f',
      `${REPO_ROOT}/deploy/examples/httproute-canary-header.yaml`,
    ]);
    await waitForLine(
      (line) => line.includes('[bookbuyer] bookbuyer:') && v1Count(line) >= v1Count(last) + 2,
      before,
    );
    const { stdout } = await run('kubectl', [
      '--server',
      server,
      'get',
      'httproute',
      'bookstore',
      '-o',
      'json',
    ]);
    const route = JSON.parse(stdout) as {
      status?: { parents?: { conditions?: { type: string; status: string }[] }[] };
    };
    const conditions = route.status?.parents?.[0]?.conditions ?? [];
    expect(conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Accepted=True', 'ResolvedRefs=True']);
  });
});
