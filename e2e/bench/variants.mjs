/**
 * The systems under test of the data-plane sections, as one list: each says which protocols it serves and
 * how to start it (pinned to the SUT core) given the origin's ports. A variant that cannot be measured yet
 * carries `pending` (why) and shows in the report as such. New variants (the policy chain's pieces one by
 * one, say) slot in here; the sections loop over whatever the list holds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { haproxyConfig, nginxConfig } from './lib/configs.mjs';
import { freePort, startProcess, stopProcess, waitForOutput, waitForPort } from './lib/processes.mjs';
import { majorOf } from './lib/runtimes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The variant list. `runtimes` (lib/runtimes.mjs) are the Node.js builds the data plane runs on: the bare
 * node:http + undici pass-through (the runtime's floor) and the node-proxy, with and without its policy
 * chain, are measured on each. `ctx` has `origin` ports, `tmp` dir and `sutCpu`.
 */
export async function dataPlaneVariants(runtimes) {
  const perRuntime = runtimes.flatMap((runtime) => {
    const on = `Node ${majorOf(runtime.version)}`;
    const pending = runtime.bin === undefined ? `${on} not available (${runtime.missing})` : undefined;
    return [
      {
        id: `bare@${runtime.id}`,
        kind: 'bare',
        runtime: runtime.id,
        label: `bare node:http + undici, ${on}`,
        protocols: ['http'],
        pending,
        start: (ctx) => startBare(ctx, runtime.bin),
      },
      {
        id: `node-proxy@${runtime.id}`,
        kind: 'node-proxy',
        runtime: runtime.id,
        label: `node-proxy, no policy, ${on}`,
        protocols: ['http', 'tcp', 'udp'],
        pending,
        start: (ctx) => startNodeProxy(ctx, 'none', runtime.bin),
      },
      {
        id: `node-proxy-policy@${runtime.id}`,
        kind: 'node-proxy-policy',
        runtime: runtime.id,
        label: `node-proxy, full policy, ${on}`,
        protocols: ['http', 'tcp', 'udp'],
        pending,
        start: (ctx) => startNodeProxy(ctx, 'full', runtime.bin),
      },
    ];
  });
  return [
    {
      id: 'direct',
      kind: 'direct',
      label: 'direct (no proxy)',
      protocols: ['http', 'tcp', 'udp'],
      start: async (ctx) => ({ ports: ctx.origin, proc: undefined }),
    },
    ...perRuntime,
    { id: 'nginx', kind: 'nginx', label: 'nginx, 1 worker', protocols: ['http'], start: startNginxProxy },
    {
      id: 'haproxy',
      kind: 'haproxy',
      label: 'haproxy, 1 thread',
      protocols: ['http', 'tcp'],
      start: startHaproxy,
    },
  ];
}

/**
 * The scale-out variants: the full-policy node-proxy with one worker on the SUT core and with two workers
 * on both cores, and nginx the same way, flat out. On a two-core machine the second core is the load
 * generator's too, so the two-worker figures share it: as far as such a machine allows.
 */
export function coreVariants(runtimes, { sutCpu, allCpus }) {
  const proxies = runtimes.flatMap((runtime) => {
    const on = `Node ${majorOf(runtime.version)}`;
    const pending = runtime.bin === undefined ? `${on} not available (${runtime.missing})` : undefined;
    return [1, 2].map((workers) => ({
      id: `node-proxy-policy-w${workers}@${runtime.id}`,
      kind: 'node-proxy-policy',
      runtime: runtime.id,
      workers,
      label: `node-proxy, full policy, ${workers} worker${workers === 1 ? '' : 's'}, ${on}`,
      cpus: workers === 1 ? sutCpu : allCpus,
      pending,
      start: (ctx) => startNodeProxy(ctx, 'full', runtime.bin, workers, workers === 1 ? sutCpu : allCpus),
    }));
  });
  const nginx = [1, 2].map((workers) => ({
    id: `nginx-w${workers}`,
    kind: 'nginx',
    workers,
    label: `nginx, ${workers} worker${workers === 1 ? '' : 's'}`,
    cpus: workers === 1 ? sutCpu : allCpus,
    start: (ctx) => startNginxProxy(ctx, workers, workers === 1 ? sutCpu : allCpus),
  }));
  return [...proxies, ...nginx];
}

async function startNodeProxy(ctx, policy, bin = process.execPath, workers = 1, cpu = ctx.sutCpu) {
  const proc = startProcess(
    `node-proxy (${policy}, ${workers} worker${workers === 1 ? '' : 's'})`,
    bin,
    [path.join(here, 'servers/node-proxy-target.mjs'), JSON.stringify(ctx.origin), policy, String(workers)],
    { cpu, env: { NODE_ENV: 'production' } },
  );
  const match = await waitForOutput(proc, /NODEPROXY (\{.*\})/, 60_000);
  return { ports: JSON.parse(match[1] ?? '{}'), proc };
}

async function startBare(ctx, bin = process.execPath) {
  const proc = startProcess(
    'bare node:http + undici',
    bin,
    [path.join(here, 'servers/bare-proxy.mjs'), String(ctx.origin.http)],
    {
      cpu: ctx.sutCpu,
      env: { NODE_ENV: 'production' },
    },
  );
  const match = await waitForOutput(proc, /BARE (\{.*\})/);
  return { ports: JSON.parse(match[1] ?? '{}'), proc };
}

async function startNginxProxy(ctx, workers = 1, cpu = ctx.sutCpu) {
  const dir = path.join(ctx.tmp, `nginx-proxy-${workers}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    nginxConfig({ dir, port, upstreamPort: ctx.origin.http, workers }),
  );
  const proc = startProcess(
    'nginx proxy',
    '/usr/sbin/nginx',
    ['-p', dir, '-c', path.join(dir, 'nginx.conf')],
    {
      cpu,
    },
  );
  await waitForPort(port, proc);
  return { ports: { http: port }, proc };
}

async function startHaproxy(ctx) {
  const dir = path.join(ctx.tmp, 'haproxy');
  mkdirSync(dir, { recursive: true });
  const ports = { http: await freePort(), bulk: await freePort(), greeter: await freePort() };
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(
    file,
    haproxyConfig({
      http: { port: ports.http, upstreamPort: ctx.origin.http },
      tcpBulk: { port: ports.bulk, upstreamPort: ctx.origin.bulk },
      tcpGreeter: { port: ports.greeter, upstreamPort: ctx.origin.greeter },
    }),
  );
  const proc = startProcess('haproxy', '/usr/sbin/haproxy', ['-db', '-f', file], { cpu: ctx.sutCpu });
  await waitForPort(ports.http, proc);
  return { ports, proc };
}

/** The HTTP origin: an nginx with one worker answering a small fixed body, on the load generator's core. */
export async function startOriginNginx(ctx) {
  const dir = path.join(ctx.tmp, 'nginx-origin');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  writeFileSync(path.join(dir, 'nginx.conf'), nginxConfig({ dir, port }));
  const proc = startProcess(
    'nginx origin',
    '/usr/sbin/nginx',
    ['-p', dir, '-c', path.join(dir, 'nginx.conf')],
    {
      cpu: ctx.loadCpu,
    },
  );
  await waitForPort(port, proc);
  return { port, proc };
}

/** The TCP/UDP origin (servers/origin.mjs), on the load generator's core. */
export async function startOriginSockets(ctx, bulkBytes) {
  const proc = startProcess(
    'tcp/udp origin',
    process.execPath,
    [path.join(here, 'servers/origin.mjs'), String(bulkBytes)],
    {
      cpu: ctx.loadCpu,
    },
  );
  const match = await waitForOutput(proc, /ORIGIN (\{.*\})/);
  return { ports: JSON.parse(match[1] ?? '{}'), proc };
}

export { stopProcess };
