/**
 * Both images built by a real Docker engine from their Dockerfiles and run: `--help` with no network, user
 * 65532, a read-only root, no shell; then a smoke start of each against the in-memory API server on loopback
 * (host network, every listener bound to 127.x), answering a mesh name over DNS and proxying a request.
 *
 * Needs a Docker engine (`.ci/run` starts one). Where no registry is reachable, NODEMESH_BUILD_IMAGE and
 * NODEMESH_RUNTIME_IMAGE name local stand-ins for the base images (deploy/docker/stand-in-images.sh);
 * otherwise the Dockerfiles' defaults are pulled. DOCKER names the client (default: Debian's /usr/bin/docker,
 * which matches Debian's engine, else `docker`).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './manifests.js';
import { TestApi } from './test-api.js';

const execFileAsync = promisify(execFile);
const DOCKER = process.env.DOCKER ?? (existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker');
const TAG = `nodemesh-ci-${process.pid}`;
const COMPONENTS = ['dns-controller', 'node-proxy'] as const;
type Component = (typeof COMPONENTS)[number];
const image = (component: Component) => `nodemesh/${component}:${TAG}`;
/** What a restricted Pod Security profile allows, and no more. */
const LOCKED_DOWN = ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];

function engineSkipReason(): string | undefined {
  try {
    execFileSync(DOCKER, ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe', timeout: 10_000 });
    return undefined;
  } catch {
    return `no Docker engine answers \`${DOCKER} version\`: the images are not built here (.ci/run starts one)`;
  }
}

/** CI sets NODEMESH_REQUIRE_DOCKER=1: there, a missing engine fails the suite instead of skipping it. */
const required = process.env.NODEMESH_REQUIRE_DOCKER === '1';
const skipReason = required ? undefined : engineSkipReason();
if (skipReason !== undefined) console.warn(`skipped: ${skipReason}`);

async function docker(args: string[], timeout = 60_000): Promise<string> {
  const { stdout } = await execFileAsync(DOCKER, args, {
    cwd: REPO_ROOT,
    timeout,
    maxBuffer: 64 << 20,
    env: { ...process.env, DOCKER_BUILDKIT: '1' },
  });
  return stdout;
}

/** Runs a container to its end and returns its exit code and output. */
async function dockerRun(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const stdout = await docker(['run', '--rm', ...args]);
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no free port');
  return address.port;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(skipReason !== undefined)('the images, built and run by a Docker engine', () => {
  const sizes = new Map<Component, number>();

  beforeAll(async () => {
    const missing = engineSkipReason();
    if (missing !== undefined) throw new Error(`NODEMESH_REQUIRE_DOCKER=1, but ${missing}`);
    const buildArgs: string[] = [];
    if (process.env.NODEMESH_BUILD_IMAGE)
      buildArgs.push('--build-arg', `BUILD_IMAGE=${process.env.NODEMESH_BUILD_IMAGE}`);
    if (process.env.NODEMESH_RUNTIME_IMAGE) {
      buildArgs.push('--build-arg', `RUNTIME_IMAGE=${process.env.NODEMESH_RUNTIME_IMAGE}`);
    }
    for (const component of COMPONENTS) {
      await docker(
        [
          'build',
          '-q',
          '-f',
          `deploy/docker/${component}.Dockerfile`,
          ...buildArgs,
          '-t',
          image(component),
          '.',
        ],
        900_000,
      );
      sizes.set(
        component,
        Number((await docker(['image', 'inspect', '-f', '{{.Size}}', image(component)])).trim()),
      );
    }
    console.log(
      `image sizes: ${COMPONENTS.map((c) => `${c} ${((sizes.get(c) ?? 0) / 1e6).toFixed(0)} MB`).join(', ')}`,
    );
  }, 1_800_000);

  afterAll(async () => {
    await docker(['image', 'rm', '-f', ...COMPONENTS.map(image)]).catch(() => undefined);
  });

  it.each(COMPONENTS)(
    '%s: runs --help with no network, as user 65532, on a read-only root',
    async (component) => {
      const help = await dockerRun(['--network', 'none', ...LOCKED_DOWN, image(component), '--help']);
      expect(help.code).toBe(0);
      expect(help.output).toContain(component === 'node-proxy' ? 'nodemesh-proxy' : 'nodemesh-dns');

      const config = JSON.parse(
        await docker(['image', 'inspect', '-f', '{{json .Config}}', image(component)]),
      ) as {
        User: string;
        Entrypoint: string[];
      };
      expect(config.User).toBe('65532:65532');
      expect(config.Entrypoint).toEqual(['/nodejs/bin/node', '/app/dist/bin.js']);

      const probe = `const fs = require('node:fs');
      let wrote = 'yes'; try { fs.writeFileSync('/app/dist/x', 'x'); } catch (e) { wrote = e.code; }
      console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), node: process.versions.node, wrote }));`;
      const facts = await dockerRun([
        '--network',
        'none',
        ...LOCKED_DOWN,
        '--entrypoint',
        '/nodejs/bin/node',
        image(component),
        '-e',
        probe,
      ]);
      expect(facts.code).toBe(0);
      const parsed = JSON.parse(facts.output) as { uid: number; gid: number; node: string; wrote: string };
      expect(parsed).toMatchObject({ uid: 65532, gid: 65532, wrote: 'EROFS' });
      expect(parsed.node).toMatch(/^24\./);

      // Distroless: no shell to run anything else with.
      const shell = await dockerRun([
        '--network',
        'none',
        '--entrypoint',
        '/bin/sh',
        image(component),
        '-c',
        'true',
      ]);
      expect(shell.code).not.toBe(0);
    },
  );

  describe('smoke start against the in-memory API server, on loopback only', () => {
    let api: ApiServer;
    let backend: Server;
    const containers: string[] = [];

    beforeAll(async () => {
      api = await startApiServer({ host: '127.0.0.1' });
      backend = createHttpServer((_req, res) => res.end('served by the backend\n'));
      await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      for (const name of containers) await docker(['rm', '-f', name]).catch(() => undefined);
      await new Promise((resolve) => backend.close(resolve));
      await api.stop();
    });

    /** Starts a component's container on the host network, locked down; its name is removed after the suite. */
    async function start(
      component: Component,
      args: string[],
      env: Record<string, string> = {},
    ): Promise<string> {
      const name = `${TAG}-${component}`;
      containers.push(name);
      const envArgs = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
      await docker([
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'host',
        ...LOCKED_DOWN,
        ...envArgs,
        image(component),
        ...args,
      ]);
      return name;
    }

    /** Every TCP and UDP socket the container's process listens on. */
    async function listeningAddresses(name: string): Promise<string[]> {
      const pid = (await docker(['inspect', '-f', '{{.State.Pid}}', name])).trim();
      const { stdout } = await execFileAsync('ss', ['-Hlntup']);
      return stdout
        .split('\n')
        .filter((line) => line.includes(`pid=${pid},`))
        .map((line) => line.split(/\s+/)[4] ?? '');
    }

    it('the dns-controller answers a mesh name and the node-proxy routes a request to it', async () => {
      const test = new TestApi(api.url);
      await test.namespace('nodemesh');
      await test.namespace('shop');
      const port = (backend.address() as { port: number }).port;
      await test.create('/api/v1/namespaces/shop/services', {
        metadata: { name: 'orders' },
        spec: { selector: { app: 'orders' }, ports: [{ name: 'http', port: 8080, targetPort: port }] },
      });
      await test.create('/api/v1/namespaces/shop/pods', {
        metadata: { name: 'orders-1', labels: { app: 'orders' } },
        spec: { nodeName: 'node-a', containers: [{ name: 'orders', image: 'orders' }] },
      });
      await test.call(
        'PATCH',
        '/api/v1/namespaces/shop/pods/orders-1/status',
        {
          status: {
            phase: 'Running',
            podIP: '127.0.0.1',
            podIPs: [{ ip: '127.0.0.1' }],
            conditions: [{ type: 'Ready', status: 'True' }],
          },
        },
        'application/merge-patch+json',
      );

      const dnsPort = await freePort();
      const dnsAdmin = await freePort();
      const dns = await start('dns-controller', [
        'run',
        '--server',
        api.url,
        '--dns-host',
        '127.0.0.1',
        '--dns-port',
        String(dnsPort),
        '--admin-host',
        '127.0.0.1',
        '--admin-port',
        String(dnsAdmin),
        '--cluster-dns',
        'none',
      ]);
      await waitFor('the dns-controller to be ready', async () => {
        return (await fetch(`http://127.0.0.1:${dnsAdmin}/readyz`)).status === 200;
      });
      let answer = '';
      await waitFor('a DNS answer for orders.shop.mesh', async () => {
        const { stdout } = await execFileAsync('dig', [
          '+short',
          `@127.0.0.1`,
          '-p',
          String(dnsPort),
          'orders.shop.mesh',
        ]);
        answer = stdout.trim();
        return /^\d+\.\d+\.\d+\.\d+$/.test(answer);
      });

      // A loopback address of its own for the entrypoint, apart from anything else on 127.0.0.1:5000.
      const listenHost = `127.${10 + (process.pid % 200)}.${process.pid % 250}.1`;
      const proxyAdmin = await freePort();
      const proxy = await start(
        'node-proxy',
        [
          'run',
          '--server',
          api.url,
          '--listen-host',
          listenHost,
          '--admin-host',
          '127.0.0.1',
          '--admin-port',
          String(proxyAdmin),
        ],
        { NODE_NAME: 'node-a', NODEMESH_HTTP_ENTRYPOINTS: '1' },
      );
      await waitFor('the node-proxy to be ready', async () => {
        return (await fetch(`http://127.0.0.1:${proxyAdmin}/readyz`)).status === 200;
      });
      let body = '';
      await waitFor('a request through the node-proxy', async () => {
        // undici's request, not fetch: fetch may not set Host.
        const res = await request(`http://${listenHost}:5000/`, {
          headers: { host: 'orders.shop.mesh:8080' },
        });
        body = await res.body.text();
        return res.statusCode === 200;
      });
      expect(body).toBe('served by the backend\n');

      for (const name of [dns, proxy]) {
        const addresses = await listeningAddresses(name);
        expect(addresses.length, `${name} listens`).toBeGreaterThan(0);
        for (const address of addresses)
          expect(address, `${name} listens only on loopback`).toMatch(/^127\./);
      }
    }, 120_000);
  });
});
