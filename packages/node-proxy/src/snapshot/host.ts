/** Host header normalisation, shared by the snapshot builder (keys) and the HTTP listener (lookups). */

/** Lower case, without a trailing dot on the name (`Orders.Shop.Mesh.:8080` → `orders.shop.mesh:8080`). */
export function normaliseHost(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) return lower;
  const colon = lower.lastIndexOf(':');
  const name = colon === -1 ? lower : lower.slice(0, colon);
  const port = colon === -1 ? '' : lower.slice(colon);
  return (name.endsWith('.') ? name.slice(0, -1) : name) + port;
}

/** The Host keys a route on user port `port` answers to: name and ClusterIPs, with and without the port. */
export function hostKeys(
  namespace: string,
  name: string,
  meshDomain: string,
  clusterIPs: readonly string[],
  port: number,
): string[] {
  const meshName = `${name}.${namespace}.${meshDomain}`.toLowerCase();
  const keys = [meshName, `${meshName}:${port}`];
  for (const ip of clusterIPs) {
    const literal = ip.includes(':') ? `[${ip.toLowerCase()}]` : ip;
    keys.push(literal, `${literal}:${port}`);
  }
  return keys;
}
