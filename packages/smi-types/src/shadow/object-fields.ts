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
