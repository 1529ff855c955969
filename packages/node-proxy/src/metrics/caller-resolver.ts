/**
 * Who is calling, from the caller's pod IP. The node-proxy knows the pods of its own node (later from an
 * informer); until that is wired, the default knows nobody and metrics say `unknown`.
 */

export interface Caller {
  readonly namespace: string;
  readonly workload: string;
  readonly serviceAccount: string;
}

export interface CallerResolver {
  /** The pod behind a source IP on this node, or undefined when it is not a known pod. */
  resolve(ip: string): Caller | undefined;
}

/** Knows nobody. */
export const unknownCallers: CallerResolver = { resolve: () => undefined };

/** A fixed table, for tests and local mode. */
export function staticCallers(byIp: ReadonlyMap<string, Caller>): CallerResolver {
  return { resolve: (ip) => byIp.get(normaliseIp(ip)) };
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) → `10.0.0.1`. */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
