#!/usr/bin/env node
/**
 * A call between two nodes as a system under test: node A's NodeProxy serving the HTTP Service
 * `echo.bench.mesh` and the TCP Service `greeter`, whose one endpoint (the bench origin) is placed on node B.
 *
 * Usage: cross-node-target.mjs <origin-json> <plaintext|mtls>
 * - `plaintext`: the Service's mTLS mode is `off`; node A dials the origin itself, as without mTLS.
 * - `mtls`: the mode is `strict`; node A sends every call through the tunnel to node B's tunnel server (a child
 *   process of this one, so the bench counts both nodes' CPU and memory), which dials the origin. Certificates
 *   are made here with openssl from a root of this run: the caller pod's (`bench/client`) and the node proxies'.
 *   Node B admits every verified caller (its authorisation is a few map lookups per stream, not measured here).
 *
 * Listeners bind port 0; prints `CROSSNODE {"http":…,"greeter":…,"stats":…}`. GET on `stats` answers the tunnel
 * client's counts (handshakes, sessions, streams), so the bench can show handshakes are not per call.
 */
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../../packages/kube-runtime/dist/index.js';
import { NodeProxy, staticCallers, TunnelServer } from '../../../packages/node-proxy/dist/index.js';

const TRUST_DOMAIN = 'cluster.local';
const NODE_PROXY = {
  trustDomain: TRUST_DOMAIN,
  namespace: 'nodemesh',
  serviceAccount: 'nodemesh-node-proxy',
};
const spiffe = (ns, sa) => `spiffe://${TRUST_DOMAIN}/ns/${ns}/sa/${sa}`;

/** A root, and leaf certificates with one SPIFFE ID each, as the mesh's issuer makes them (P-256). */
function makeCertificates(dir) {
  const ssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  ssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=bench root',
    '-days',
    '1',
    '-out',
    'ca.crt',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  const leaf = (name, uri) => {
    ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.ec.key`);
    ssl('pkcs8', '-topk8', '-nocrypt', '-in', `${name}.ec.key`, '-out', `${name}.key`);
    ssl('req', '-new', '-key', `${name}.key`, '-subj', '/', '-out', `${name}.csr`);
    writeFileSync(
      path.join(dir, `${name}.ext`),
      `subjectAltName=critical,URI:${uri}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=critical,CA:FALSE\n`,
    );
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
    const read = (file) => readFileSync(path.join(dir, file), 'utf8');
    return { key: read(`${name}.key`), cert: read(`${name}.crt`), ca: read('ca.crt') };
  };
  return {
    client: leaf('client', spiffe('bench', 'client')),
    nodeProxy: leaf('node-proxy', spiffe(NODE_PROXY.namespace, NODE_PROXY.serviceAccount)),
  };
}

const context = (pem) => createSecureContext({ ...pem, minVersion: 'TLSv1.3' });

// Node B: started as `cross-node-target.mjs --node-b <pem-json>`; prints its tunnel port.
if (process.argv[2] === '--node-b') {
  const pem = JSON.parse(process.argv[3] ?? '{}');
  const serverContext = context(pem);
  const server = new TunnelServer({
    trustDomain: TRUST_DOMAIN,
    secureContext: () => serverContext,
    authorise: () => ({ kind: 'allowed' }),
    logger: silentLogger,
  });
  await server.listen('127.0.0.1', 0);
  process.send?.({ port: server.boundPort() });
  process.on('SIGTERM', () => server.close(500).then(() => process.exit(0)));
} else {
  const origin = JSON.parse(process.argv[2] ?? '{}');
  const mtls = process.argv[3] === 'mtls';
  const dir = mkdtempSync(path.join(tmpdir(), 'nodemesh-bench-certs-'));
  let nodeB;
  let tunnelPort = 0;
  let clientContext;
  try {
    if (mtls) {
      const pem = makeCertificates(dir);
      clientContext = context(pem.client);
      nodeB = fork(fileURLToPath(import.meta.url), ['--node-b', JSON.stringify(pem.nodeProxy)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      [{ port: tunnelPort }] = await once(nodeB, 'message');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const service = (name, trafficType, port, targetPort) => ({
    namespace: 'bench',
    name,
    config: { trafficType, scheme: 'http' },
    ports: [{ name: 'main', port, protocol: 'TCP' }],
    shadow: {
      clusterIPs: ['127.0.0.1'],
      ports: [{ name: 'main', protocol: 'TCP', port, targetPort, trafficType }],
    },
    serviceAccounts: ['server'],
    mtlsMode: mtls ? 'strict' : 'off',
  });
  const onNodeB = (port) => [
    {
      address: '127.0.0.1',
      ports: { main: port },
      ready: true,
      serving: true,
      terminating: false,
      nodeName: 'node-b',
    },
  ];
  const services = [service('echo', 'http', 80, 5000), service('greeter', 'tcp', 9001, 10001)];
  const inputs = {
    meshDomain: 'mesh',
    services: new Map(services.map((s) => [`bench/${s.name}`, s])),
    endpoints: new Map([
      ['bench/echo', onNodeB(origin.http)],
      ['bench/greeter', onNodeB(origin.greeter)],
    ]),
    trafficSplits: [],
    httpRouteGroups: new Map(),
    tcpRoutes: new Map(),
    udpRoutes: new Map(),
    trafficTargets: [],
  };
  const client = { namespace: 'bench', workload: 'client', serviceAccount: 'client' };
  const proxy = new NodeProxy({
    bindPort: () => 0,
    adminPort: 0,
    drainMs: 1000,
    callers: staticCallers(new Map([['127.0.0.1', client]])),
    mtls: { nodeName: 'node-a', tunnelPort, serverIdentity: mtls ? NODE_PROXY : undefined },
  });
  if (mtls) {
    proxy.useIdentities({
      secureContextFor: (ns, sa) => (ns === 'bench' && sa === 'client' ? clientContext : undefined),
    });
    proxy.nodeProxies.set('nodemesh/node-proxy-b', {
      key: 'nodemesh/node-proxy-b',
      nodeName: 'node-b',
      address: '127.0.0.1',
    });
  }
  await proxy.start();
  await proxy.applyInputs(inputs);
  await proxy.markSynced();

  const stats = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(proxy.tunnelClient?.counts ?? {}));
  });
  await new Promise((resolve) => stats.listen(0, '127.0.0.1', resolve));
  const ports = {
    http: proxy.boundPort('http', 5000),
    greeter: proxy.boundPort('tcp', 10001),
    stats: stats.address().port,
  };
  process.stdout.write(`CROSSNODE ${JSON.stringify(ports)}\n`);
  process.on('SIGTERM', () => {
    stats.close();
    nodeB?.kill('SIGTERM');
    proxy.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
