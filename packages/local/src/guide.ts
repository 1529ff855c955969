/** What local mode prints once the mesh is up: what runs where, and what to try. Pure. */
import { DEFAULT_TRUST_DOMAIN } from '@nodemesh/smi-types';
import { localNodes, metricsUrl } from './local-nodes.js';
import type { LocalSettings } from './settings.js';

export function guide(settings: LocalSettings, server: string, repoRoot: string): string {
  const kubectl = `kubectl --server ${server}`;
  const examples = `${repoRoot}/deploy/examples`;
  const [first, second] = localNodes(settings);
  return `
Nodemesh is running locally.

  API server       ${server}   (in-memory; kubectl works against it)
  mesh DNS         ${settings.dnsHost}:${settings.dnsPort}
  node-proxies     on node "${first.name}" at ${first.ip} (HTTP entrypoints from 5000; every caller runs here)
                   on node "${second.name}" at ${second.ip} (bookstore-v2 runs here)
  mTLS             permissive: a call to a pod on the other node goes through the tunnel (port 15008)
  access control   ${settings.accessControl ? 'on' : 'off'}
  metrics          ${metricsUrl(first)} (node-proxy on ${first.name})
                   ${metricsUrl(second)} (node-proxy on ${second.name})
                   http://127.0.0.1:${settings.dnsAdminPort}/metrics (dns-controller)
  sample pods      bookstore-v1, bookbuyer, bookthief, tcp-echo, udp-echo on ${first.name}; bookstore-v2 on ${second.name}
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
  curl -s ${metricsUrl(first)} | grep certificate_expiration   # one per ServiceAccount
  ${kubectl} -n nodemesh get configmap nodemesh-trust-bundle -o yaml
  pnpm start --access-control    # then: ${kubectl} apply -f ${examples}/access-bookbuyer.yaml

The identity of a call (mTLS between node proxies, docs/mtls.md); with a split, some calls go to v2 on ${second.name}:
  ${kubectl} apply -f ${examples}/traffic-split-75-25.yaml
  curl -s ${metricsUrl(first)} | grep nodemesh_mesh_calls_total
      # on ${first.name}, by backend and transport: bookstore-v1 "local" (same node), bookstore-v2 "mtls" (tunnel)
  curl -s ${metricsUrl(second)} | grep nodemesh_tunnel_inbound_streams_total
      # on ${second.name}, by verified identity: source_identity="spiffe://${DEFAULT_TRUST_DOMAIN}/ns/default/sa/bookbuyer"
  ${kubectl} annotate namespace default nodemesh.io/mtls=strict   # only through the tunnel; nodemesh.io/mtls- undoes
  ${kubectl} get networkpolicies -A    # strict's NetworkPolicy: stored, not enforced (no CNI here)

Operate it with the nodemesh command line (docs/cli.md):
  alias nodemesh='node ${repoRoot}/packages/cli/dist/bin.js --server ${server}'
  nodemesh check                          # every piece healthy? exit 1 if not
  nodemesh stat svc -n default            # success rate, rps and latency per Service
  nodemesh config ${settings.nodeName} --service bookstore -n default

bookbuyer and bookthief print what they get every two seconds below. Ctrl-C stops everything.
`;
}
