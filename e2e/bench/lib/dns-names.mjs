/** The names both DNS servers serve and the query file asks, so the two answer the very same questions. */

/** `count` Services `svc-<i>` in namespace `bench`, each with a ClusterIP from 10.96.0.0/16 and up. */
export function meshRecords(count) {
  return Array.from({ length: count }, (_, i) => ({
    namespace: 'bench',
    name: `svc-${i}`,
    fqdn: `svc-${i}.bench.mesh`,
    ip: `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
  }));
}

/** The dnsperf query file: every name once (A), in a fixed shuffled order. */
export function queryFile(count) {
  const names = meshRecords(count).map((r) => `${r.fqdn} A`);
  let seed = 12345;
  for (let i = names.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [names[i], names[j]] = [names[j], names[i]];
  }
  return `${names.join('\n')}\n`;
}
