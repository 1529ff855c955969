import { describeValue } from './describe.js';
import type { ErrorSink } from './read-fields.js';
import { expectNonEmptyString } from './read-fields.js';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 label, as Kubernetes checks namespaces and Service names: at most 63 characters. */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && LABEL.test(value);
}

/** RFC 1123 subdomain, as Kubernetes checks most object names: dot-separated labels, at most 253 characters. */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && value.split('.').every((part) => part.length <= 63 && LABEL.test(part));
}

export function expectDns1123Label(value: unknown, path: string, errors: ErrorSink): string | undefined {
  const text = expectNonEmptyString(value, path, errors);
  if (text === undefined) return undefined;
  if (!isDns1123Label(text)) {
    errors.push({
      path,
      message: `must be a DNS-1123 label (at most 63 lower-case letters, digits or '-', starting and ending with a letter or digit), got ${describeValue(text)}`,
    });
    return undefined;
  }
  return text;
}

export function expectDns1123Subdomain(value: unknown, path: string, errors: ErrorSink): string | undefined {
  const text = expectNonEmptyString(value, path, errors);
  if (text === undefined) return undefined;
  if (!isDns1123Subdomain(text)) {
    errors.push({
      path,
      message: `must be a DNS-1123 subdomain (at most 253 lower-case letters, digits, '-' or '.', each part starting and ending with a letter or digit), got ${describeValue(text)}`,
    });
    return undefined;
  }
  return text;
}
