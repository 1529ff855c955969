import {
  getPath,
  isRecord,
  type JsonObject,
  type JsonValue,
  type KubeObject,
  stringMap,
} from '../api/kube-object.js';
import type { PrinterColumn, ResourceType } from './resource-type.js';

/** Whether an Accept header asks for the server-side printing format kubectl prefers. */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  priority?: number;
  cell: (obj: KubeObject, now: number) => string | number;
}

/** `kubectl`'s short ages: 45s, 12m, 5h, 3d, 2y. */
export function shortAge(created: string | undefined, now: number): string {
  const start = created ? Date.parse(created) : Number.NaN;
  if (Number.isNaN(start)) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - start) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  return days < 730 ? `${days}d` : `${Math.floor(days / 365)}y`;
}

const text = (value: unknown, fallback = '<none>'): string =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : fallback;

const nameColumn: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  cell: (o) => o.metadata.name ?? '',
};
const ageColumn: Column = {
  name: 'Age',
  type: 'string',
  cell: (o, now) => shortAge(o.metadata.creationTimestamp, now),
};

function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  return text(getPath(pod, ['status', 'phase']), 'Pending');
}

function podReady(pod: KubeObject): string {
  const containers = getPath(pod, ['spec', 'containers']);
  const statuses = getPath(pod, ['status', 'containerStatuses']);
  const total = Array.isArray(containers) ? containers.length : 0;
  const ready = Array.isArray(statuses) ? statuses.filter((s) => isRecord(s) && s.ready === true).length : 0;
  return `${ready}/${total}`;
}

function servicePorts(svc: KubeObject): string {
  const ports = getPath(svc, ['spec', 'ports']);
  if (!Array.isArray(ports) || ports.length === 0) return '<none>';
  return ports
    .filter(isRecord)
    .map((p) => `${text(p.port, '?')}/${text(p.protocol, 'TCP')}`)
    .join(',');
}

function selectorText(svc: KubeObject): string {
  const selector = stringMap(getPath(svc, ['spec', 'selector']));
  const entries = Object.entries(selector);
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

function sliceEndpoints(slice: KubeObject): string {
  const endpoints = Array.isArray(slice.endpoints) ? slice.endpoints : [];
  const ips = endpoints.flatMap((e) => (isRecord(e) && Array.isArray(e.addresses) ? e.addresses : []));
  return ips.length === 0
    ? '<unset>'
    : ips.slice(0, 3).join(',') + (ips.length > 3 ? ` + ${ips.length - 3} more...` : '');
}

const columnsByResource: Record<string, Column[]> = {
  pods: [
    nameColumn,
    { name: 'Ready', type: 'string', cell: podReady },
    { name: 'Status', type: 'string', cell: podStatus },
    { name: 'Restarts', type: 'string', cell: () => '0' },
    ageColumn,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => text(getPath(o, ['status', 'podIP'])) },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => text(getPath(o, ['spec', 'nodeName'])) },
  ],
  services: [
    nameColumn,
    { name: 'Type', type: 'string', cell: (o) => text(getPath(o, ['spec', 'type']), 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => text(getPath(o, ['spec', 'clusterIP'])) },
    { name: 'External-IP', type: 'string', cell: (o) => text(getPath(o, ['spec', 'externalName'])) },
    { name: 'Port(s)', type: 'string', cell: servicePorts },
    ageColumn,
    { name: 'Selector', type: 'string', priority: 1, cell: selectorText },
  ],
  namespaces: [
    nameColumn,
    { name: 'Status', type: 'string', cell: (o) => text(getPath(o, ['status', 'phase']), 'Active') },
    ageColumn,
  ],
  endpointslices: [
    nameColumn,
    { name: 'AddressType', type: 'string', cell: (o) => text(o.addressType) },
    {
      name: 'Ports',
      type: 'string',
      cell: (o) => {
        const ports = Array.isArray(o.ports)
          ? o.ports.filter((p): p is JsonObject => isRecord(p)).map((p) => text(p.port, ''))
          : [];
        return ports.length === 0 ? '<unset>' : ports.join(',');
      },
    },
    { name: 'Endpoints', type: 'string', cell: sliceEndpoints },
    ageColumn,
  ],
};

/** Follows a simple JSONPath (`.spec.a`, `.spec.list[0].b`); anything fancier prints as empty. */
function jsonPathValue(obj: unknown, path: string): unknown {
  const tokens = path
    .replace(/^\{?\.?/, '')
    .replace(/\}$/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((t) => t !== undefined && t !== '');
  let current: unknown = obj;
  for (const token of tokens) {
    if (Array.isArray(current) && /^\d+$/.test(token)) current = current[Number(token)];
    else if (isRecord(current)) current = current[token];
    else return undefined;
  }
  return current;
}

function printerColumn(column: PrinterColumn): Column {
  return {
    name: column.name,
    type: column.type === 'date' ? 'date' : column.type === 'integer' ? 'integer' : 'string',
    priority: column.priority,
    cell: (obj, now) => {
      const value = jsonPathValue(obj, column.jsonPath);
      if (column.type === 'date' && typeof value === 'string') return shortAge(value, now);
      if (typeof value === 'string' || typeof value === 'number') return value;
      if (typeof value === 'boolean') return String(value);
      return value === undefined || value === null ? '<none>' : JSON.stringify(value);
    },
  };
}

function columnsFor(type: ResourceType): Column[] {
  if (type.printerColumns && type.printerColumns.length > 0)
    return [nameColumn, ...type.printerColumns.map(printerColumn)];
  return type.group === '' || type.group === 'discovery.k8s.io'
    ? (columnsByResource[type.plural] ?? [nameColumn, ageColumn])
    : [nameColumn, ageColumn];
}

function partialObject(obj: KubeObject): JsonObject {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: obj.metadata as JsonObject,
  };
}

/**
 * A `meta.k8s.io/v1` Table of objects, as the server prints for `kubectl get`: a few columns per kind
 * (Name and Age for most), and the object's metadata (or the whole object) per row.
 */
export function toTable(
  type: ResourceType,
  objects: readonly KubeObject[],
  resourceVersion: string,
  includeObject: string | null,
  now = Date.now(),
): JsonObject {
  const columns = columnsFor(type);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => {
      const def: JsonObject = {
        name: c.name,
        type: c.type,
        format: c.format ?? '',
        description: '',
        priority: c.priority ?? 0,
      };
      return def;
    }),
    rows: objects.map((obj) => ({
      cells: columns.map((c) => c.cell(obj, now)),
      object: (includeObject === 'Object'
        ? obj
        : includeObject === 'None'
          ? null
          : partialObject(obj)) as JsonValue,
    })),
  };
}
