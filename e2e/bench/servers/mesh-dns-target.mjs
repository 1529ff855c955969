#!/usr/bin/env node
/**
 * The mesh DNS server as a system under test: a MeshDnsServer from the built dns-controller package with
 * `<count>` Services `svc-<i>.bench.mesh` (see `meshNames` in ../lib/dns-names.mjs). Prints its port.
 */
import { MeshDnsServer, MeshZone } from '../../../packages/dns-controller/dist/index.js';
import { meshRecords } from '../lib/dns-names.mjs';

const count = Number(process.argv[2] ?? 10_000);
const zone = new MeshZone('mesh');
for (const record of meshRecords(count)) {
  const result = zone.upsert({
    namespace: record.namespace,
    name: record.name,
    clusterIPs: [record.ip],
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  });
  if (!result.ok) throw new Error(`zone rejected ${record.name}: ${JSON.stringify(result.errors)}`);
}
const server = new MeshDnsServer({ zone, host: '127.0.0.1', port: 0 });
const { port } = await server.start();
process.stdout.write(`MESHDNS ${JSON.stringify({ port, names: count })}\n`);
process.on('SIGTERM', () => {
  Promise.resolve(server.stop()).finally(() => process.exit(0));
});
