/** What local mode prints once the mesh is up: what runs where, and what to try. Pure. */
import type { LocalSettings } from './settings.js';

export function guide(settings: LocalSettings, server: string, repoRoot: string): string {
  const kubectl = `kubectl --server ${server}`;
  const examples = `${repoRoot}/deploy/examples`;
  return `
Nodemesh is running locally.

  API server       ${server}   (in-memory; kubectl works against it)
  mesh DNS         ${settings.dnsHost}:${settings.dnsPort}
  node-proxy       on node "${settings.nodeName}" at ${settings.nodeIP} (HTTP entrypoints from 5000)
  access control   ${settings.accessControl ? 'on' : 'off'}
  metrics          http://127.0.0.1:${settings.proxyAdminPort}/metrics (node-proxy)
                   http://127.0.0.1:${settings.dnsAdminPort}/metrics (dns-controller)
  sample pods      bookstore-v1, bookstore-v2, bookbuyer, bookthief, tcp-echo, udp-echo
  identity issuer  https://127.0.0.1:${settings.identityPort} (workload certificates, docs/identity.md)

Try:
  dig @${settings.dnsHost} -p ${settings.dnsPort} bookstore.default.mesh
  curl --interface ${settings.podPrefix}.21 http://$(dig +short @${settings.dnsHost} -p ${settings.dnsPort} bookstore.default.mesh):8080/books -H 'Host: bookstore.default.mesh:8080'
  ${kubectl} get services,pods,trafficsplits,httproutes -A
  ${kubectl} apply -f ${examples}/traffic-split-75-25.yaml    # watch bookbuyer's counts move
  ${kubectl} apply -f ${examples}/traffic-split-v2.yaml
  Gateway API (GAMMA) instead of SMI; an HTTPRoute on bookstore wins over its TrafficSplit:
  ${kubectl} apply -f ${examples}/httproute-canary-header.yaml  # x-canary: true → v2, the rest → v1
  curl --interface ${settings.podPrefix}.21 http://$(dig +short @${settings.dnsHost} -p ${settings.dnsPort} bookstore.default.mesh):8080/books -H 'Host: bookstore.default.mesh:8080' -H 'x-canary: true'
  ${kubectl} apply -f ${examples}/httproute-canary-weight.yaml  # then by weight, 75/25
  ${kubectl} get httproute bookstore -o yaml                    # status: Accepted, ResolvedRefs
  curl -s http://127.0.0.1:${settings.proxyDebugPort}/debug/snapshot
  curl -s http://127.0.0.1:${settings.proxyAdminPort}/metrics | grep certificate_expiration   # one per ServiceAccount
  ${kubectl} -n nodemesh get configmap nodemesh-trust-bundle -o yaml
  pnpm start --access-control    # then: ${kubectl} apply -f ${examples}/access-bookbuyer.yaml

Operate it with the nodemesh command line (docs/cli.md):
  alias nodemesh='node ${repoRoot}/packages/cli/dist/bin.js --server ${server}'
  nodemesh check                          # every piece healthy? exit 1 if not
  nodemesh stat svc -n default            # success rate, rps and latency per Service
  nodemesh config ${settings.nodeName} --service bookstore -n default

bookbuyer and bookthief print what they get every two seconds below. Ctrl-C stops everything.
`;
}
