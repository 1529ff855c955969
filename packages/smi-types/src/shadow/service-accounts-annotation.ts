/**
 * The `nodemesh.io/service-accounts` annotation of a shadow Service, both ways: the dns-controller writes
 * it, the node-proxy reads it. One canonical text per set, so comparing texts compares sets and an unchanged
 * set never causes a write.
 */
import { annotationPath } from '../annotations/parse-service-annotations.js';
import { describeValue } from '../validation/describe.js';
import { isDns1123Subdomain } from '../validation/dns-names.js';
import type { FieldError } from '../validation/result.js';
import { SHADOW_ANNOTATION_SERVICE_ACCOUNTS } from './contract.js';

/** The ServiceAccount a pod runs as: `spec.serviceAccountName`, where empty or absent means `default`. */
export function effectiveServiceAccount(serviceAccountName: string | undefined): string {
  return serviceAccountName === undefined || serviceAccountName === '' ? 'default' : serviceAccountName;
}

/** The annotation text of a set of ServiceAccounts: sorted, without duplicates, comma-separated. */
export function formatServiceAccounts(serviceAccounts: Iterable<string>): string {
  return [...new Set(serviceAccounts)].sort().join(',');
}

/**
 * The ServiceAccounts an annotation value lists; absent or empty is none. Each must be a DNS-1123 subdomain
 * (what Kubernetes accepts as a ServiceAccount name), else an error is recorded and the name left out.
 */
export function readServiceAccounts(value: unknown, errors: FieldError[]): string[] {
  if (value === undefined || value === '') return [];
  const path = annotationPath(SHADOW_ANNOTATION_SERVICE_ACCOUNTS);
  if (typeof value !== 'string') {
    errors.push({ path, message: `must be a comma-separated list of names, got ${describeValue(value)}` });
    return [];
  }
  const names: string[] = [];
  for (const name of value.split(',')) {
    if (isDns1123Subdomain(name)) {
      names.push(name);
    } else {
      errors.push({
        path,
        message: `must list ServiceAccount names (DNS-1123 subdomains) separated by commas, got ${describeValue(name)} in ${describeValue(value)}`,
      });
    }
  }
  return [...new Set(names)].sort();
}
