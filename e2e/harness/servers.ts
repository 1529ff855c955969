/**
 * The plain servers harness tests use in place of mesh components: an identity server (HTTP and UDP,
 * answering with its pod and node name and the client address it saw) and a stub DNS server for a zone.
 */
import { fileURLToPath } from 'node:url';
import type { Cluster, Pod } from './cluster.js';
import { waitForPort } from './port-wait.js';
import type { ManagedProcess } from './process.js';

const script = (name: string) => fileURLToPath(new URL(`./servers/${name}`, import.meta.url));

/** What the identity server answers over HTTP. */
export interface Identity {
  readonly pod: string;
  readonly node: string;
  readonly client: string;
  readonly path: string;
}

/** Reads an identity server's HTTP answer; throws with the text when it is not one. */
export function parseIdentity(text: string): Identity {
  const value: unknown = JSON.parse(text);
  if (typeof value === 'object' && value !== null) {
    const { pod, node, client, path } = value as Record<string, unknown>;
    if (
      typeof pod === 'string' &&
      typeof node === 'string' &&
      typeof client === 'string' &&
      typeof path === 'string'
    ) {
      return { pod, node, client, path };
    }
  }
  throw new Error(`not an identity answer: ${text}`);
}

export interface IdentityPorts {
  readonly httpPort?: number;
  readonly udpPort?: number;
}

/** Starts the identity server in a pod and waits for its ports. */
export async function startIdentityServer(
  cluster: Cluster,
  pod: Pod,
  ports: IdentityPorts,
): Promise<ManagedProcess> {
  const args = [script('identity-server.mjs'), '--pod', pod.name, '--node', pod.node];
  if (ports.httpPort !== undefined) args.push('--http-port', String(ports.httpPort));
  if (ports.udpPort !== undefined) args.push('--udp-port', String(ports.udpPort));
  const started = await cluster.start(pod, { name: `identity-${pod.name}`, command: process.execPath, args });
  if (ports.httpPort !== undefined) await waitForPort(pod.ns, 'tcp', ports.httpPort, { process: started });
  if (ports.udpPort !== undefined) await waitForPort(pod.ns, 'udp', ports.udpPort, { process: started });
  return started;
}

/** Starts the stub DNS server (UDP) at `ns`, answering A queries for `records` (name → IPv4). */
export async function startStubDns(
  cluster: Cluster,
  ns: string,
  port: number,
  records: Readonly<Record<string, string>>,
): Promise<ManagedProcess> {
  const args = [script('stub-dns.mjs'), '--port', String(port), '--records', JSON.stringify(records)];
  const started = await cluster.start(ns, { name: 'stub-dns', command: process.execPath, args });
  await waitForPort(ns, 'udp', port, { process: started });
  return started;
}
