/**
 * How the workers of one node share its ports. Where the runtime has `reusePort` (Node 22.12+ and 23.1+,
 * for net servers and dgram sockets) every worker binds a socket of its own with SO_REUSEPORT: the kernel
 * spreads connections over them (by address hash, so a UDP client's datagrams stay with one worker) and no
 * process stands in between. Elsewhere (Node 20) the `cluster` module shares the primary's socket: TCP
 * connections are handed out round-robin by the primary, and UDP datagrams go to whichever worker reads first.
 * A single process (`--workers 1`) binds exclusively, as always.
 */
import cluster from 'node:cluster';

/** Whether a Node version takes `reusePort` on net servers and dgram sockets. */
export function runtimeHasReusePort(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Extra listen/createSocket options for this process: `{ reusePort: true }` in a worker that can use it. */
export function portSharing(): { readonly reusePort?: true } {
  return cluster.isWorker && runtimeHasReusePort() ? { reusePort: true } : {};
}
