/**
 * discovery.k8s.io/v1 EndpointSlices, read and validated into the builder's endpoint inputs. The informer
 * wiring keeps the slices of each Service and calls `mergeEndpointSlices` on change; a malformed slice is
 * reported and skipped, never trusted.
 */
import { isIP } from 'node:net';
import { describeValue, type FieldError, fail, fieldPath, ok, type Result } from '@nodemesh/smi-types';
import type { EndpointInput } from './inputs.js';

/** The label an EndpointSlice names its Service with. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';

/** One EndpointSlice, reduced to what routing needs. */
export interface EndpointSliceView {
  readonly namespace: string;
  readonly name: string;
  /** The Service it belongs to, from the `kubernetes.io/service-name` label. */
  readonly service: string;
  readonly endpoints: readonly EndpointInput[];
}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads an EndpointSlice. FQDN slices carry no routable address and yield no endpoints. Conditions follow the
 * API's reading of an unset value: ready and serving unknown count as true, terminating as false. Never throws.
 */
export function parseEndpointSlice(obj: unknown): Result<EndpointSliceView> {
  const errors: FieldError[] = [];
  if (!isObj(obj)) return fail([{ path: '', message: `must be an object, got ${describeValue(obj)}` }]);
  const metadata = isObj(obj.metadata) ? obj.metadata : undefined;
  const namespace = metadata?.namespace;
  const name = metadata?.name;
  const labels = isObj(metadata?.labels) ? metadata.labels : undefined;
  const service = labels?.[LABEL_SERVICE_NAME];
  if (typeof namespace !== 'string' || namespace === '') {
    errors.push({
      path: 'metadata.namespace',
      message: `must be a non-empty string, got ${describeValue(namespace)}`,
    });
  }
  if (typeof name !== 'string' || name === '') {
    errors.push({ path: 'metadata.name', message: `must be a non-empty string, got ${describeValue(name)}` });
  }
  if (typeof service !== 'string' || service === '') {
    errors.push({
      path: `metadata.labels[${JSON.stringify(LABEL_SERVICE_NAME)}]`,
      message: `must name the Service, got ${describeValue(service)}`,
    });
  }
  const addressType = obj.addressType;
  if (addressType !== 'IPv4' && addressType !== 'IPv6' && addressType !== 'FQDN') {
    errors.push({
      path: 'addressType',
      message: `must be IPv4, IPv6 or FQDN, got ${describeValue(addressType)}`,
    });
  }
  const ports = readPorts(obj.ports, errors);
  const endpoints =
    addressType === 'FQDN' ? [] : readEndpoints(obj.endpoints, addressType === 'IPv6' ? 6 : 4, ports, errors);
  if (
    errors.length > 0 ||
    typeof namespace !== 'string' ||
    typeof name !== 'string' ||
    typeof service !== 'string'
  ) {
    return fail(errors);
  }
  return ok({ namespace, name, service, endpoints });
}

function readPorts(value: unknown, errors: FieldError[]): Record<string, number> {
  const ports: Record<string, number> = {};
  if (value === undefined || value === null) return ports;
  if (!Array.isArray(value)) {
    errors.push({ path: 'ports', message: `must be a list, got ${describeValue(value)}` });
    return ports;
  }
  value.forEach((port: unknown, i) => {
    const path = fieldPath('ports', i);
    if (!isObj(port)) {
      errors.push({ path, message: `must be an object, got ${describeValue(port)}` });
      return;
    }
    const name = port.name ?? '';
    if (typeof name !== 'string') {
      errors.push({
        path: fieldPath(path, 'name'),
        message: `must be a string, got ${describeValue(port.name)}`,
      });
      return;
    }
    // An unset port means "all ports" (a Service without selector); nothing to route to by number.
    if (port.port === undefined || port.port === null) return;
    if (typeof port.port !== 'number' || !Number.isInteger(port.port) || port.port < 1 || port.port > 65535) {
      errors.push({
        path: fieldPath(path, 'port'),
        message: `must be an integer from 1 to 65535, got ${describeValue(port.port)}`,
      });
      return;
    }
    ports[name] = port.port;
  });
  return ports;
}

function readEndpoints(
  value: unknown,
  family: 4 | 6,
  ports: Record<string, number>,
  errors: FieldError[],
): EndpointInput[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push({ path: 'endpoints', message: `must be a list, got ${describeValue(value)}` });
    return [];
  }
  const endpoints: EndpointInput[] = [];
  value.forEach((endpoint: unknown, i) => {
    const path = fieldPath('endpoints', i);
    if (!isObj(endpoint)) {
      errors.push({ path, message: `must be an object, got ${describeValue(endpoint)}` });
      return;
    }
    const conditions = isObj(endpoint.conditions) ? endpoint.conditions : {};
    const flag = (key: string, unset: boolean) => {
      const v = conditions[key];
      if (v === undefined || v === null) return unset;
      if (typeof v === 'boolean') return v;
      errors.push({
        path: fieldPath(fieldPath(path, 'conditions'), key),
        message: `must be a boolean, got ${describeValue(v)}`,
      });
      return false;
    };
    const ready = flag('ready', true);
    const serving = flag('serving', true);
    const terminating = flag('terminating', false);
    const nodeName = typeof endpoint.nodeName === 'string' ? endpoint.nodeName : undefined;
    const addresses = endpoint.addresses;
    if (!Array.isArray(addresses) || addresses.length === 0) {
      errors.push({
        path: fieldPath(path, 'addresses'),
        message: `must be a non-empty list, got ${describeValue(addresses)}`,
      });
      return;
    }
    // Kubernetes documents every address after the first as unused by consumers.
    const address: unknown = addresses[0];
    if (typeof address !== 'string' || isIP(address) !== family) {
      errors.push({
        path: `${fieldPath(path, 'addresses')}[0]`,
        message: `must be an IPv${family} address, got ${describeValue(address)}`,
      });
      return;
    }
    endpoints.push({
      address,
      ports,
      ready,
      serving,
      terminating,
      ...(nodeName === undefined ? {} : { nodeName }),
    });
  });
  return endpoints;
}

/** The endpoints of one Service from all its slices; an address seen twice (during a slice move) counts once. */
export function mergeEndpointSlices(slices: readonly EndpointSliceView[]): EndpointInput[] {
  const byKey = new Map<string, EndpointInput>();
  for (const slice of slices) {
    for (const endpoint of slice.endpoints) {
      const key = `${endpoint.address} ${JSON.stringify(endpoint.ports)}`;
      const seen = byKey.get(key);
      // Prefer the copy that can take traffic.
      if (
        seen === undefined ||
        (!(seen.ready && !seen.terminating) && endpoint.ready && !endpoint.terminating)
      ) {
        byKey.set(key, endpoint);
      }
    }
  }
  return [...byKey.values()];
}
