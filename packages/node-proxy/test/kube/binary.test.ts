/** The built `nodemesh-proxy` binary (`pnpm build`, which `pnpm test` runs first) against the in-memory API server. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpBackend, Resources } from '../support.js';
import { Api, waitFor } from './kube-fixtures.js';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

let resources: Resources;
let server: ApiServer;

interface Run {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  // Killed by its PID if the test ends early.
  resources.add(child, async (c) => {
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** The child processes of a process, from /proc. */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

/** A port free on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

beforeEach(async () => {
  resources = new Resources();
  server = resources.add(await startApiServer(), (s) => s.stop());
});

afterEach(async () => {
  await resources.closeAll();
});

describe('nodemesh-proxy binary', () => {
  it('prints help and exits 0', async () => {
    const { output, exited } = run(['--help']);
    expect(await exited).toBe(0);
    expect(output()).toContain('nodemesh-proxy run [flags]');
    expect(output()).toContain('--tracing-sample-ratio');
  });

  it('exits 2 naming the bad flag', async () => {
    const { output, exited } = run(['run', '--node-name', 'node-a', '--admin-port', 'ninety']);
    expect(await exited).toBe(2);
    expect(output()).toContain('--admin-port: must be a port from 0 to 65535, got "ninety"');
  });

  it.each([1, 2])(
    'with %i worker(s): becomes ready, serves, logs JSON lines and exits 0 on SIGTERM',
    async (workers) => {
      const api = new Api(server.url);
      const backend = await httpBackend(resources, 'v1');
      await api.namespace('shop');
      await api.namespace('nodemesh');
      const orders = await api.service('shop', 'orders', { app: 'orders' }, backend.port);
      await api.pod('shop', 'orders-1', { node: 'node-b', ip: '127.0.0.1', labels: { app: 'orders' } });
      await api.shadow(orders);
      // A loopback address of its own, so entrypoint 5000 does not meet anything else on 127.0.0.1.
      const host = `127.${10 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.1`;
      const adminPort = await freePort();
      const debugPort = await freePort();
      const proxy = run(
        [
          'run',
          '--server',
          server.url,
          '--listen-host',
          host,
          '--admin-host',
          '127.0.0.1',
          '--admin-port',
          String(adminPort),
          '--debug-port',
          String(debugPort),
        ],
        { NODE_NAME: 'node-a', NODEMESH_HTTP_ENTRYPOINTS: '1', NODEMESH_WORKERS: String(workers) },
      );
      await waitFor(
        'readiness',
        async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status === 200,
        15_000,
      );
      const res = await request(`http://${host}:5000/`, { headers: { host: 'orders.shop.mesh' } });
      await res.body.text();
      expect(res.headers['x-backend']).toBe('v1');
      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      expect(metrics).toContain('nodemesh_informer_synced{informer="trafficsplits"} 1');
      expect(metrics).toContain('nodemesh_informer_synced{informer="pods"} 1');
      // The routing snapshot: on the debug port (127.0.0.1 only), not on the admin port.
      expect((await fetch(`http://127.0.0.1:${adminPort}/debug/snapshot`)).status).toBe(404);
      const snapshot = (await (await fetch(`http://127.0.0.1:${debugPort}/debug/snapshot`)).json()) as {
        http: { hosts: Record<string, unknown> }[];
      };
      expect(Object.keys(snapshot.http[0]?.hosts ?? {})).toContain('orders.shop.mesh');

      // One process per worker beside the one that watches the API server; none with a single worker.
      const children = childrenOf(proxy.child.pid ?? 0);
      expect(children).toHaveLength(workers === 1 ? 0 : workers);
      if (proxy.child.pid !== undefined) process.kill(proxy.child.pid, 'SIGTERM');
      expect(await proxy.exited).toBe(0);
      expect(children.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
      const lines = proxy
        .output()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { level: string; component: string; msg: string });
      expect(lines.every((l) => l.component === 'node-proxy')).toBe(true);
      expect(lines.map((l) => l.msg)).toEqual(
        expect.arrayContaining(['first sync applied: routing', 'stopped']),
      );
      // Neither the SMI CRDs (5 kinds) nor the Gateway API ones (4) are installed here: said once per kind,
      // not blocking readiness.
      expect(lines.filter((l) => l.msg.startsWith('resource not served'))).toHaveLength(9);
    },
  );
});
