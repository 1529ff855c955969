/**
 * Convergence: how long a change made at the API server takes to be served by the node-proxy. The in-memory
 * API server (its own binary) and two named backends run on the load core; the node-proxy, fed only by its
 * informers, on the SUT core; the prober (load/convergence-probe.mjs) on the load core makes the changes and
 * polls the proxy. The cluster objects are created here, through the API, before the proxy starts, as
 * kubectl, the kubelet and the dns-controller (shadow Services via `desiredShadowService`) would.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  allocatePorts,
  DEFAULT_TCP_PORT_RANGE,
  DEFAULT_UDP_PORT_RANGE,
  desiredShadowService,
  readUserService,
  smiCustomResourceDefinitions,
} from '../../../packages/smi-types/dist/index.js';
import { CONVERGENCE, podManifest, serviceManifest, splitManifest } from '../lib/convergence.mjs';
import { runToEnd, startProcess, stopProcess, usage, waitForOutput } from '../lib/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../../..');

export async function convergenceSection(ctx) {
  const { settings } = ctx;
  const started = [];
  try {
    const apiProc = startProcess(
      'apiserver',
      process.execPath,
      [path.join(root, 'packages/apiserver/dist/bin.js'), '--port', '0'],
      { cpu: ctx.loadCpu },
    );
    started.push(apiProc);
    const api = (await waitForOutput(apiProc, /listening on (http:\/\/127\.[\d.]+:\d+)/))[1];
    const backendsProc = startProcess(
      'named backends',
      process.execPath,
      [path.join(here, '../servers/named-backends.mjs')],
      { cpu: ctx.loadCpu },
    );
    started.push(backendsProc);
    const backends = JSON.parse((await waitForOutput(backendsProc, /BACKENDS (\{.*\})/))[1] ?? '{}');

    ctx.log('convergence: creating the cluster objects');
    await createCluster(api, backends);

    const proxyProc = startProcess(
      'node-proxy (informers)',
      process.execPath,
      [path.join(here, '../servers/node-proxy-informed.mjs'), api, CONVERGENCE.node],
      { cpu: ctx.sutCpu, env: { NODE_ENV: 'production' } },
    );
    started.push(proxyProc);
    const ports = JSON.parse((await waitForOutput(proxyProc, /NODEPROXY (\{.*\})/))[1] ?? '{}');

    ctx.log(
      `convergence: ${settings.convergenceChanges} split changes, ${settings.readinessChanges} readiness changes`,
    );
    const budgetMs =
      (settings.convergenceChanges + 2 * settings.readinessChanges + 6) *
      (settings.convergenceTimeoutMs + 300);
    const out = await runToEnd(
      'convergence-probe',
      process.execPath,
      [
        path.join(here, '../load/convergence-probe.mjs'),
        JSON.stringify({
          api,
          proxyPort: ports.http,
          changes: settings.convergenceChanges,
          readinessChanges: settings.readinessChanges,
          timeoutMs: settings.convergenceTimeoutMs,
        }),
      ],
      { cpu: ctx.loadCpu, timeoutMs: budgetMs },
    );
    const result = JSON.parse(out.trim().split('\n').pop() ?? '{}');
    return {
      ...result,
      changes: settings.convergenceChanges,
      readinessChanges: settings.readinessChanges,
      timeoutMs: settings.convergenceTimeoutMs,
      proxyRssMiB: usage(proxyProc.pid).rssBytes / 2 ** 20,
    };
  } catch (error) {
    ctx.log(`convergence failed: ${error.message}`);
    return { error: String(error.message).split('\n')[0] };
  } finally {
    for (const proc of started.reverse()) await stopProcess(proc);
  }
}

/**
 * Namespaces, SMI CRDs, Services orders (split root), orders-v1, orders-v2 and web with their pods, the
 * shadows of orders and web, and the TrafficSplit of orders with all traffic to v1.
 */
export async function createCluster(api, backends) {
  const { namespace: ns, meshNamespace } = CONVERGENCE;
  const create = async (collection, body) => {
    const res = await fetch(`${api}${collection}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const parsed = await res.json();
    if (res.status >= 300)
      throw new Error(`POST ${collection}: HTTP ${res.status}: ${JSON.stringify(parsed)}`);
    return parsed;
  };
  for (const name of [ns, meshNamespace]) await create('/api/v1/namespaces', { metadata: { name } });
  for (const crd of smiCustomResourceDefinitions())
    await create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  const services = `/api/v1/namespaces/${ns}/services`;
  const pods = `/api/v1/namespaces/${ns}/pods`;
  const orders = await create(services, serviceManifest('orders', { app: 'orders-v1' }, 'http'));
  await create(services, serviceManifest('orders-v1', { app: 'orders-v1' }, 'http'));
  await create(services, serviceManifest('orders-v2', { app: 'orders-v2' }, 'http'));
  const web = await create(services, serviceManifest('web', { app: 'web' }, 'http'));
  await create(pods, podManifest('orders-v1-pod', { app: 'orders-v1' }, backends.v1));
  await create(pods, podManifest('orders-v2-pod', { app: 'orders-v2' }, backends.v2));
  await create(pods, podManifest('web-a', { app: 'web' }, backends.v1));
  await create(pods, podManifest(CONVERGENCE.flippedPod, { app: 'web' }, backends.v2));
  for (const user of [orders, web]) {
    const parsed = readUserService(user);
    if (!parsed.ok) throw new Error(`bad user Service: ${JSON.stringify(parsed.errors)}`);
    const svc = parsed.value;
    const table = allocatePorts({
      existing: [],
      services: [{ of: { namespace: svc.namespace, name: svc.name }, trafficType: 'http', ports: svc.ports }],
      tcpRange: DEFAULT_TCP_PORT_RANGE,
      udpRange: DEFAULT_UDP_PORT_RANGE,
    });
    const shadow = desiredShadowService(svc, { trafficType: 'http' }, table, { meshNamespace });
    await create(`/api/v1/namespaces/${meshNamespace}/services`, shadow);
  }
  await create(`/apis/split.smi-spec.io/v1alpha4/namespaces/${ns}/trafficsplits`, splitManifest('v1'));
}
