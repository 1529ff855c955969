/**
 * kube-proxy's reading of the API, as a pure function: Services and EndpointSlices (as the API server lists
 * them) to the harness's Service rules. A Service port gets the ready endpoints of its slices whose port has
 * the same name; `internalTrafficPolicy: Local` is carried over, so shadow Services reach only the node's own
 * proxy. Anything malformed is skipped, never thrown on: the loop that calls this must keep running.
 */
import type { Endpoint, Protocol, ServiceRule } from '../../harness/index.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

type Json = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const records = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isRecord) : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const isPort = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;

/** The items of a List answer (`{items: [...]}`), or none. */
export function listItems(list: unknown): Json[] {
  return isRecord(list) ? records(list.items) : [];
}

function protocolOf(value: unknown): Protocol | undefined {
  const p = value === undefined ? 'TCP' : text(value);
  if (p === 'TCP') return 'tcp';
  if (p === 'UDP') return 'udp';
  return undefined;
}

/** `<namespace>/<service>` of a Service or of the Service an EndpointSlice belongs to. */
function keyOf(obj: Json, name: string): string {
  const metadata = isRecord(obj.metadata) ? obj.metadata : {};
  return `${text(metadata.namespace)}/${name}`;
}

/** Ready endpoints of one Service port, from the slices of its Service. */
function endpointsFor(slices: readonly Json[], portName: string, protocol: Protocol): Endpoint[] {
  const endpoints: Endpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    if (text(slice.addressType || 'IPv4') !== 'IPv4') continue;
    const port = records(slice.ports).find(
      (p) => text(p.name) === portName && protocolOf(p.protocol) === protocol,
    );
    if (port === undefined || !isPort(port.port)) continue;
    for (const endpoint of records(slice.endpoints)) {
      const conditions = isRecord(endpoint.conditions) ? endpoint.conditions : {};
      if (conditions.ready === false) continue;
      const ip = Array.isArray(endpoint.addresses) ? text(endpoint.addresses[0]) : '';
      if (!IPV4.test(ip) || seen.has(`${ip}:${port.port}`)) continue;
      seen.add(`${ip}:${port.port}`);
      endpoints.push({ ip, port: port.port, node: text(endpoint.nodeName) });
    }
  }
  return endpoints.sort((a, b) => `${a.ip}:${a.port}`.localeCompare(`${b.ip}:${b.port}`));
}

/** The rules kube-proxy would program for these Services and EndpointSlices. */
export function serviceRulesFromApi(
  services: readonly unknown[],
  endpointSlices: readonly unknown[],
): ServiceRule[] {
  const slicesByService = new Map<string, Json[]>();
  for (const slice of records(endpointSlices)) {
    const metadata = isRecord(slice.metadata) ? slice.metadata : {};
    const labels = isRecord(metadata.labels) ? metadata.labels : {};
    const service = text(labels[SERVICE_NAME_LABEL]);
    if (service === '') continue;
    const key = keyOf(slice, service);
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
  }
  const rules: ServiceRule[] = [];
  for (const service of records(services)) {
    const metadata = isRecord(service.metadata) ? service.metadata : {};
    const spec = isRecord(service.spec) ? service.spec : {};
    const clusterIP = text(spec.clusterIP);
    if (!IPV4.test(clusterIP)) continue;
    const slices = slicesByService.get(keyOf(service, text(metadata.name))) ?? [];
    for (const port of records(spec.ports)) {
      const protocol = protocolOf(port.protocol);
      if (protocol === undefined || !isPort(port.port)) continue;
      rules.push({
        clusterIP,
        port: port.port,
        protocol,
        endpoints: endpointsFor(slices, text(port.name), protocol),
        internalTrafficPolicy: spec.internalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
      });
    }
  }
  return rules.sort((a, b) =>
    `${a.clusterIP}:${a.port}/${a.protocol}`.localeCompare(`${b.clusterIP}:${b.port}/${b.protocol}`),
  );
}
