/**
 * bookbuyer and bookthief: call `GET http://<TARGET>/books` through the mesh a few times a second, resolving
 * the mesh name with the mesh DNS server (as a pod's resolver would through the cluster DNS) and calling from
 * the pod's own address (so the node-proxy knows who calls). Every two seconds it prints what it saw: which
 * store answered, and the refusals and errors.
 * Env: POD_IP, NAME, TARGET (host:port, e.g. bookstore.default.mesh:8080), MESH_DNS (ip:port), INTERVAL_MS.
 */
import { Resolver } from 'node:dns/promises';
import { request } from 'node:http';
import { portEnv, requiredEnv } from './env.js';
import { formatTally, type Tally, tallyOutcome } from './tally.js';

const podIP = requiredEnv('POD_IP');
const name = requiredEnv('NAME');
const [targetHost = '', targetPortText = ''] = requiredEnv('TARGET').split(':');
process.env.TARGET_PORT = targetPortText;
const targetPort = portEnv('TARGET_PORT');
const intervalMs = Number(process.env.INTERVAL_MS ?? '200');

const resolver = new Resolver({ timeout: 1000, tries: 2 });
resolver.setServers([requiredEnv('MESH_DNS')]);

let tally: Tally = { byStore: {}, refused: 0, errors: 0 };

function callOnce(address: string): Promise<string> {
  return new Promise((resolve) => {
    const call = request(
      {
        host: address,
        port: targetPort,
        path: '/books',
        localAddress: podIP,
        timeout: 2000,
        headers: { host: `${targetHost}:${targetPort}` },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve(`${response.statusCode ?? 0} ${body}`));
      },
    );
    call.on('timeout', () => call.destroy(new Error('timed out')));
    call.on('error', (error) => resolve(`error ${error.message}`));
    call.end();
  });
}

async function loop(): Promise<void> {
  let address: string | undefined;
  for (;;) {
    try {
      address ??= (await resolver.resolve4(targetHost))[0];
    } catch (error) {
      tally = { ...tally, errors: tally.errors + 1 };
      process.stdout.write(`${name}: cannot resolve ${targetHost}: ${(error as Error).message}\n`);
    }
    if (address !== undefined) tally = tallyOutcome(tally, await callOnce(address));
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

setInterval(() => process.stdout.write(`${name}: ${formatTally(tally)}\n`), 2000).unref();
process.on('SIGTERM', () => process.exit(0));
void loop();
