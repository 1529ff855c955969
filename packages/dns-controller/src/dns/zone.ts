/**
 * The mesh zone: one record set per Service, kept in memory and updated by informers through
 * `upsert`/`remove`, so a query never waits on the API server. Pure: no I/O.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { describeValue, type FieldError, fail, fieldPath, ok, type Result } from '@nodemesh/smi-types';
import { lowerLabel } from './message.js';

export interface MeshServicePort {
  /** Port name; SRV records exist only for named ports. */
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

/** What the zone needs of one Service; an adapter fills it from the shadow Service. */
export interface MeshServiceRecord {
  readonly namespace: string;
  readonly name: string;
  /** IPv4 and/or IPv6 ClusterIPs: they become A and AAAA records. */
  readonly clusterIPs: readonly string[];
  readonly ports: readonly MeshServicePort[];
}

/** A record set as stored: addresses split by family. */
export interface MeshServiceEntry {
  readonly record: MeshServiceRecord;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

export const DEFAULT_MESH_DOMAIN = 'mesh';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks a mesh domain such as `mesh` or `mesh.example`: lower-case DNS labels, no trailing dot. */
export function validateMeshDomain(domain: unknown): Result<string> {
  if (typeof domain !== 'string' || domain === '') {
    return fail([
      { path: '', message: `mesh domain must be a non-empty string, got ${describeValue(domain)}` },
    ]);
  }
  const labels = domain.split('.');
  if (domain.length > 200 || !labels.every((label) => label.length <= 63 && LABEL.test(label))) {
    return fail([
      {
        path: '',
        message: `mesh domain must be lower-case DNS labels separated by dots, got ${describeValue(domain)}`,
      },
    ]);
  }
  return ok(domain);
}

function checkLabel(errors: FieldError[], path: string, value: unknown): void {
  if (typeof value !== 'string' || value.length > 63 || !LABEL.test(value)) {
    errors.push({ path, message: `must be a lower-case DNS label (RFC 1123), got ${describeValue(value)}` });
  }
}

/** Validates a record before it enters the zone; never throws. */
export function validateMeshServiceRecord(input: MeshServiceRecord): Result<MeshServiceEntry> {
  const errors: FieldError[] = [];
  checkLabel(errors, 'namespace', input.namespace);
  checkLabel(errors, 'name', input.name);
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  const clusterIPs: unknown = input.clusterIPs;
  if (!Array.isArray(clusterIPs)) {
    errors.push({
      path: 'clusterIPs',
      message: `must be a list of IP addresses, got ${describeValue(clusterIPs)}`,
    });
  } else {
    clusterIPs.forEach((ip: unknown, index) => {
      if (typeof ip === 'string' && isIPv4(ip)) ipv4.push(ip);
      else if (typeof ip === 'string' && isIPv6(ip)) ipv6.push(ip);
      else
        errors.push({
          path: fieldPath('clusterIPs', index),
          message: `must be an IPv4 or IPv6 address, got ${describeValue(ip)}`,
        });
    });
  }
  const ports: unknown = input.ports;
  if (!Array.isArray(ports)) {
    errors.push({ path: 'ports', message: `must be a list, got ${describeValue(ports)}` });
  } else {
    ports.forEach((port: Partial<MeshServicePort> | null, index) => {
      const path = fieldPath('ports', index);
      if (typeof port !== 'object' || port === null) {
        errors.push({ path, message: `must be an object, got ${describeValue(port)}` });
        return;
      }
      if (port.name !== '') checkLabel(errors, fieldPath(path, 'name'), port.name);
      if (!Number.isInteger(port.port) || (port.port ?? 0) < 1 || (port.port ?? 0) > 65535) {
        errors.push({
          path: fieldPath(path, 'port'),
          message: `must be an integer from 1 to 65535, got ${describeValue(port.port)}`,
        });
      }
      if (port.protocol !== 'TCP' && port.protocol !== 'UDP') {
        errors.push({
          path: fieldPath(path, 'protocol'),
          message: `must be "TCP" or "UDP", got ${describeValue(port.protocol)}`,
        });
      }
    });
  }
  if (errors.length > 0) return fail(errors);
  return ok({ record: input, ipv4, ipv6 });
}

/** The in-memory zone. Lookups are case-insensitive; the serial moves on every change. */
export class MeshZone {
  readonly domain: string;
  /** The domain split into labels, lower case. */
  readonly domainLabels: readonly string[];
  private readonly services = new Map<string, MeshServiceEntry>();
  private readonly namespaces = new Map<string, number>();
  private readonly listeners = new Set<(namespace: string, name: string) => void>();
  private generation = 1;

  constructor(domain: string = DEFAULT_MESH_DOMAIN) {
    const checked = validateMeshDomain(domain);
    if (!checked.ok) throw new Error(checked.errors.map((error) => error.message).join('; '));
    this.domain = checked.value;
    this.domainLabels = checked.value.split('.');
  }

  /** SOA serial: grows by one on every change (wraps per RFC 1982). */
  get serial(): number {
    return this.generation;
  }

  get size(): number {
    return this.services.size;
  }

  /** Adds or replaces the record set of one Service; an invalid record is reported and not stored. */
  upsert(record: MeshServiceRecord): Result<MeshServiceEntry> {
    const checked = validateMeshServiceRecord(record);
    if (!checked.ok) return checked;
    const key = `${record.namespace}/${record.name}`;
    if (!this.services.has(key))
      this.namespaces.set(record.namespace, (this.namespaces.get(record.namespace) ?? 0) + 1);
    this.services.set(key, checked.value);
    this.bump();
    this.changed(record.namespace, record.name);
    return checked;
  }

  /** Forgets a Service; returns whether it was there. */
  remove(namespace: string, name: string): boolean {
    if (!this.services.delete(`${namespace}/${name}`)) return false;
    const left = (this.namespaces.get(namespace) ?? 1) - 1;
    if (left === 0) this.namespaces.delete(namespace);
    else this.namespaces.set(namespace, left);
    this.bump();
    this.changed(namespace, name);
    return true;
  }

  /** Every Service now in the zone. */
  entries(): IterableIterator<MeshServiceEntry> {
    return this.services.values();
  }

  /**
   * Calls `listener` after each change with the Service that changed (added, replaced or removed); returns
   * the function that stops it. Answers kept as bytes (wire-answers.ts) follow the zone this way.
   */
  onChange(listener: (namespace: string, name: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Case-insensitive lookup, as DNS names are. */
  get(namespace: string, name: string): MeshServiceEntry | undefined {
    return this.services.get(`${lowerLabel(namespace)}/${lowerLabel(name)}`);
  }

  /** Whether any Service lives in the namespace (then `<ns>.<domain>` exists, with no records). */
  hasNamespace(namespace: string): boolean {
    return this.namespaces.has(lowerLabel(namespace));
  }

  private changed(namespace: string, name: string): void {
    for (const listener of this.listeners) listener(namespace, name);
  }

  private bump(): void {
    this.generation = this.generation >= 0xffffffff ? 1 : this.generation + 1;
  }
}
