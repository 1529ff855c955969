/** Small readers for objects from the API server: check a field's type and record an error with its path. */
import { describeValue } from '../validation/describe.js';
import type { FieldError } from '../validation/result.js';

export function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readNonEmptyString(value: unknown, path: string, errors: FieldError[]): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  errors.push({ path, message: `must be a non-empty string, got ${describeValue(value)}` });
  return undefined;
}

export function readPortNumber(value: unknown, path: string, errors: FieldError[]): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
  errors.push({ path, message: `must be an integer from 1 to 65535, got ${describeValue(value)}` });
  return undefined;
}

/** A map of string to string (labels, annotations, a selector); absent reads as empty. */
export function readStringMap(
  value: unknown,
  path: string,
  errors: FieldError[],
): Readonly<Record<string, string>> | undefined {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) {
    errors.push({ path, message: `must be a map of strings, got ${describeValue(value)}` });
    return undefined;
  }
  const map: Record<string, string> = {};
  let good = true;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string') {
      map[key] = item;
    } else {
      errors.push({
        path: `${path}[${JSON.stringify(key)}]`,
        message: `must be a string, got ${describeValue(item)}`,
      });
      good = false;
    }
  }
  return good ? map : undefined;
}

/** `spec.clusterIPs`, or `[spec.clusterIP]` from API servers that predate the list, or `[]`. */
export function readClusterIPs(spec: Readonly<Record<string, unknown>>, errors: FieldError[]): string[] {
  const list = spec.clusterIPs;
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list)) {
      errors.push({
        path: 'spec.clusterIPs',
        message: `must be a list of strings, got ${describeValue(list)}`,
      });
      return [];
    }
    const ips: string[] = [];
    list.forEach((ip: unknown, i) => {
      const read = readNonEmptyString(ip, `spec.clusterIPs[${i}]`, errors);
      if (read !== undefined) ips.push(read);
    });
    return ips;
  }
  if (spec.clusterIP === undefined || spec.clusterIP === null || spec.clusterIP === '') return [];
  const single = readNonEmptyString(spec.clusterIP, 'spec.clusterIP', errors);
  return single === undefined ? [] : [single];
}

/** What every Service reader starts with: the metadata (namespace, name, resourceVersion) and the spec. */
export interface ServiceHead {
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly resourceVersion: string | undefined;
  /** Undefined when `spec` is not an object (an error says so). */
  readonly spec: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Reads the head of a Service, adding an error for each bad field; undefined (with the error) when the
 * object or its metadata is not an object, so nothing else can be read.
 */
export function readServiceHead(obj: unknown, errors: FieldError[]): ServiceHead | undefined {
  if (!isObject(obj)) {
    errors.push({ path: '', message: `must be an object, got ${describeValue(obj)}` });
    return undefined;
  }
  const metadata = obj.metadata;
  if (!isObject(metadata)) {
    errors.push({ path: 'metadata', message: `must be an object, got ${describeValue(metadata)}` });
    return undefined;
  }
  const namespace = readNonEmptyString(metadata.namespace, 'metadata.namespace', errors);
  const name = readNonEmptyString(metadata.name, 'metadata.name', errors);
  const resourceVersion =
    metadata.resourceVersion === undefined
      ? undefined
      : readNonEmptyString(metadata.resourceVersion, 'metadata.resourceVersion', errors);
  const spec = isObject(obj.spec) ? obj.spec : undefined;
  return { metadata, namespace, name, resourceVersion, spec };
}

/** The error for a missing or malformed `spec`, added where a reader needs the spec. */
export function specError(obj: unknown): FieldError {
  const spec = isObject(obj) ? obj.spec : undefined;
  return { path: 'spec', message: `must be an object, got ${describeValue(spec)}` };
}
