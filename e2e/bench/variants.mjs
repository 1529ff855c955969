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

const here = path.dirname(fileURLToPath(import.meta.url));

/** @returns the variant list; `ctx` has `origin` ports, `tmp` dir and `sutCpu`. */
export async function dataPlaneVariants() {
  return [
    {
      id: 'direct',
      label: 'direct (no proxy)',
      protocols: ['http', 'tcp', 'udp'],
      start: async (ctx) => ({ ports: ctx.origin, proc: undefined }),
    },
    {
      id: 'node-proxy',
      label: 'node-proxy, no policy',
      protocols: ['http', 'tcp', 'udp'],
      start: (ctx) => startNodeProxy(ctx, 'none'),
    },
    {
      id: 'node-proxy-policy',
      label: 'node-proxy, full policy',
      protocols: ['http', 'tcp', 'udp'],
      start: (ctx) => startNodeProxy(ctx, 'full'),
    },
    { id: 'nginx', label: 'nginx, 1 worker', protocols: ['http'], start: startNginxProxy },
    { id: 'haproxy', label: 'haproxy, 1 thread', protocols: ['http', 'tcp'], start: startHaproxy },
  ];
}

async function startNodeProxy(ctx, policy) {
  const proc = startProcess(
    `node-proxy (${policy})`,
    process.execPath,
    [path.join(here, 'servers/node-proxy-target.mjs'), JSON.stringify(ctx.origin), policy],
    { cpu: ctx.sutCpu, env: { NODE_ENV: 'production' } },
  );
  const match = await waitForOutput(proc, /NODEPROXY (\{.*\})/);
  return { ports: JSON.parse(match[1] ?? '{}'), proc };
}

async function startNginxProxy(ctx) {
  const dir = path.join(ctx.tmp, 'nginx-proxy');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  writeFileSync(path.join(dir, 'nginx.conf'), nginxConfig({ dir, port, upstreamPort: ctx.origin.http }));
  const proc = startProcess(
    'nginx proxy',
    '/usr/sbin/nginx',
    ['-p', dir, '-c', path.join(dir, 'nginx.conf')],
    {
      cpu: ctx.sutCpu,
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
