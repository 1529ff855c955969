#!/usr/bin/env node
/**
 * The node-proxy as a system under test: a NodeProxy from the built package, fed by hand with one HTTP
 * Service (`echo.bench.mesh`), two TCP Services (bulk, greeter) and one UDP Service (udp-echo), each with
 * one endpoint on the bench origin. Listeners bind port 0; prints one JSON line with the bound ports.
 *
 * Usage: node-proxy-target.mjs <origin-json> [none|full] [workers]
 * `full` turns every policy of the chain on (access control with a TrafficTarget that allows the bench
 * client, a TrafficSplit, a rate limit far above the load, a circuit breaker, retries, a timeout, and
 * tracing sampled at 1% to a local OTLP receiver). `workers` > 1 runs the data plane as
 * `nodemesh-proxy run --workers N` does: worker processes on the same ports fed by this one, which then
 * binds fixed free ports (SO_REUSEPORT needs every worker on the same port).
 */
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { silentLogger } from '../../../packages/kube-runtime/dist/index.js';
import {
  CallerIndex,
  NodeProxy,
  NodeProxyPrimary,
  staticCallers,
} from '../../../packages/node-proxy/dist/index.js';

const origin = JSON.parse(process.argv[2] ?? '{}');
const policy = process.argv[3] ?? 'none';
const workers = Number(process.argv[4] ?? 1);
const full = policy === 'full';

const config = (trafficType) => ({
  trafficType,
  scheme: 'http',
  retry: full && trafficType === 'http' ? { attempts: 1, perTryTimeoutMs: 5000 } : undefined,
  timeoutMs: full && trafficType === 'http' ? 10_000 : undefined,
  circuitBreaker:
    full && trafficType === 'http'
      ? { errorPercentage: 50, minimumRequests: 20, windowMs: 10_000, openDurationMs: 5000 }
      : undefined,
  rateLimit: full && trafficType === 'http' ? { average: 1_000_000, burst: 1_000_000 } : undefined,
});

function service(name, trafficType, port, targetPort) {
  const protocol = trafficType === 'udp' ? 'UDP' : 'TCP';
  return {
    namespace: 'bench',
    name,
    config: config(trafficType),
    ports: [{ name: 'main', port, protocol }],
    shadow: {
      clusterIPs: ['127.0.0.1'],
      ports: [{ name: 'main', protocol, port, targetPort, trafficType }],
    },
    serviceAccounts: ['server'],
  };
}
const endpoint = (port) => [
  { address: '127.0.0.1', ports: { main: port }, ready: true, serving: true, terminating: false },
];

const services = [
  service('echo', 'http', 80, 5000),
  service('bulk', 'tcp', 9000, 10000),
  service('greeter', 'tcp', 9001, 10001),
  service('udp-echo', 'udp', 9002, 15000),
];
const inputs = {
  meshDomain: 'mesh',
  services: new Map(services.map((s) => [`bench/${s.name}`, s])),
  endpoints: new Map([
    ['bench/echo', endpoint(origin.http)],
    ['bench/bulk', endpoint(origin.bulk)],
    ['bench/greeter', endpoint(origin.greeter)],
    ['bench/udp-echo', endpoint(origin.udp)],
  ]),
  trafficSplits: full
    ? [
        {
          kind: 'TrafficSplit',
          apiVersion: 'split.smi-spec.io/v1alpha4',
          namespace: 'bench',
          name: 'echo-split',
          service: 'echo',
          backends: [{ service: 'echo', weight: 100 }],
          matches: [],
        },
      ]
    : [],
  httpRouteGroups: new Map([
    [
      'bench/everything',
      {
        kind: 'HTTPRouteGroup',
        apiVersion: 'specs.smi-spec.io/v1alpha4',
        namespace: 'bench',
        name: 'everything',
        matches: [{ name: 'all', methods: ['*'], headers: {} }],
      },
    ],
  ]),
  tcpRoutes: new Map([
    [
      'bench/any-port',
      {
        kind: 'TCPRoute',
        apiVersion: 'specs.smi-spec.io/v1alpha4',
        namespace: 'bench',
        name: 'any-port',
        matches: [],
      },
    ],
  ]),
  udpRoutes: new Map([
    [
      'bench/any-port',
      {
        kind: 'UDPRoute',
        apiVersion: 'specs.smi-spec.io/v1alpha4',
        namespace: 'bench',
        name: 'any-port',
        matches: [],
      },
    ],
  ]),
  trafficTargets: full
    ? [
        {
          kind: 'TrafficTarget',
          apiVersion: 'access.smi-spec.io/v1alpha3',
          namespace: 'bench',
          name: 'client-to-server',
          destination: { kind: 'ServiceAccount', name: 'server', namespace: 'bench' },
          sources: [{ kind: 'ServiceAccount', name: 'client', namespace: 'bench' }],
          rules: [
            { kind: 'HTTPRouteGroup', name: 'everything', matches: [] },
            { kind: 'TCPRoute', name: 'any-port', matches: [] },
            { kind: 'UDPRoute', name: 'any-port', matches: [] },
          ],
        },
      ]
    : [],
};

// With full policy, 1% of requests are traced to an OTLP receiver that accepts and drops the spans.
const traceSink = full
  ? createServer((request, response) => request.resume().on('end', () => response.end()))
  : undefined;
if (traceSink !== undefined) await new Promise((resolve) => traceSink.listen(0, '127.0.0.1', resolve));

const tracing =
  traceSink === undefined
    ? {}
    : { tracing: { endpoint: `http://127.0.0.1:${traceSink.address().port}/v1/traces`, sampleRatio: 0.01 } };
const client = { namespace: 'bench', workload: 'client', serviceAccount: 'client' };

/** A loopback port free now: workers on the same port need it fixed before they bind. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createTcpServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

let ports;
let stop;
if (workers <= 1) {
  const proxy = new NodeProxy({
    accessControl: full,
    ...tracing,
    bindPort: () => 0,
    adminPort: 0,
    drainMs: 1000,
    callers: staticCallers(new Map([['127.0.0.1', client]])),
  });
  await proxy.start();
  await proxy.applyInputs(inputs);
  proxy.markSynced();
  ports = {
    http: proxy.boundPort('http', 5000),
    bulk: proxy.boundPort('tcp', 10000),
    greeter: proxy.boundPort('tcp', 10001),
    udp: proxy.boundPort('udp', 15000),
  };
  stop = () => proxy.stop();
} else {
  ports = {
    http: await freePort(),
    bulk: await freePort(),
    greeter: await freePort(),
    udp: await freePort(),
  };
  const callers = new CallerIndex();
  callers.set('bench/client', { key: 'bench/client', ips: ['127.0.0.1'], caller: client });
  const primary = new NodeProxyPrimary({
    workers,
    settings: {
      listenHost: '127.0.0.1',
      logLevel: 'warn',
      drainMs: 1000,
      accessControl: full,
      ...tracing,
      bindPorts: {
        'http:5000': ports.http,
        'tcp:10000': ports.bulk,
        'tcp:10001': ports.greeter,
        'udp:15000': ports.udp,
      },
    },
    callers,
    adminHost: '127.0.0.1',
    adminPort: 0,
    logger: silentLogger,
  });
  await primary.start();
  await primary.applyInputs(inputs);
  primary.markSynced();
  const deadline = Date.now() + 30_000;
  while (!primary.fleet.status().every((w) => w.current && w.ready)) {
    if (Date.now() > deadline) throw new Error('the workers did not apply the inputs within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  stop = () => primary.stop();
}
process.stdout.write(`NODEPROXY ${JSON.stringify(ports)}\n`);
process.on('SIGTERM', () => {
  stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
