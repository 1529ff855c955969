/** The `--help` text of `nodemesh-proxy`; flags and defaults as in the deploy manifests' contract. */
export const HELP = `nodemesh-proxy: the Nodemesh data plane, one per node

Usage:
  nodemesh-proxy run [flags]   watch the API server and proxy mesh traffic for the pods of this node
  nodemesh-proxy --help        show this help

Flags of run (each also as the environment variable NODEMESH_<FLAG>, e.g. NODEMESH_ADMIN_PORT; flags win):
  --server URL                  API server URL without credentials (local mode, kubectl proxy)
  --kubeconfig PATH             kubeconfig file (its current context); default: in-cluster service account
  --node-name NAME              the node this proxy serves (default $NODE_NAME, from spec.nodeName)
  --mesh-namespace NS           where shadow Services live (default nodemesh)
  --mesh-domain DOMAIN          the mesh DNS zone (default mesh)
  --listen-host IP              where traffic listeners bind (default 0.0.0.0)
  --admin-host IP               where /healthz, /readyz, /metrics bind (default 0.0.0.0)
  --admin-port PORT             admin port (default 9090)
  --debug-port PORT             /debug/snapshot on 127.0.0.1 only, for kubectl port-forward (default 9091; 0: off)
  --http-entrypoints N          HTTP entrypoints 5000 … 5000+N-1 (default 10)
  --tcp-ports FIRST-LAST        TCP ports it may listen on (default 10000-14999)
  --udp-ports FIRST-LAST        UDP ports it may listen on (default 15000-19999)
  --access-control[=BOOL]       SMI access control: deny without a TrafficTarget (default false)
  --max-connections N           open connections on the HTTP entrypoints and TCP listeners (default 16384)
  --max-connections-per-source N  of those, from one source pod (default 1024)
  --udp-sessions-per-source N   UDP sessions one source pod may hold on a UDP listener (default 1024)
  --tracing-endpoint URL        OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces (default off)
  --tracing-sample-ratio R      share of requests traced, 0 to 1 (default 0.01)
  --log-level LEVEL             debug, info, warn or error (default info)
  --workers N                   data-plane worker processes on the same ports, 1 to 256 (default: the
                                container's CPU limit, else every CPU); one process watches the API server
  --identity-issuer URL         workload identity: the issuer, e.g. https://nodemesh-identity.nodemesh.svc:9443 (default off)
  --identity-token-file PATH    projected token for the issuer (default /var/run/secrets/nodemesh/identity/token)
  --trust-domain DOMAIN         SPIFFE trust domain (default cluster.local)
  --tunnel-port PORT            mTLS tunnel between node proxies, the same on every node (default 15008; 0: none)
  --mtls-mode MODE              off, permissive or strict, for Services whose shadow names none (default permissive)

Logs are JSON lines on stderr. SIGTERM or SIGINT: stop watching, drain listeners, exit 0.
`;
