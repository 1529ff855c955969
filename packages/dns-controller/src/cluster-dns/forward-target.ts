/** Where the cluster DNS should send questions for the mesh zone: the dns-controller's Service. */
import { isIPv4, isIPv6 } from 'node:net';
import { describeValue, type FieldError, fail, ok, type Result } from '@nodemesh/smi-types';
import { validateMeshDomain } from '../dns/zone.js';

export interface MeshForwardTarget {
  /** The mesh domain, e.g. `mesh`. */
  readonly domain: string;
  /** ClusterIP of the dns-controller's DNS Service. */
  readonly address: string;
  /** Its DNS port, normally 53. */
  readonly port: number;
}

/** Checks a target before it is written into anyone's DNS configuration; never throws. */
export function validateForwardTarget(target: MeshForwardTarget): Result<MeshForwardTarget> {
  const errors: FieldError[] = [];
  const domain = validateMeshDomain(target.domain);
  if (!domain.ok) errors.push(...domain.errors.map((error) => ({ ...error, path: 'domain' })));
  if (typeof target.address !== 'string' || !(isIPv4(target.address) || isIPv6(target.address))) {
    errors.push({
      path: 'address',
      message: `must be an IPv4 or IPv6 address, got ${describeValue(target.address)}`,
    });
  }
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    errors.push({
      path: 'port',
      message: `must be an integer from 1 to 65535, got ${describeValue(target.port)}`,
    });
  }
  return errors.length > 0 ? fail(errors) : ok(target);
}

/** `10.0.0.53:53` or `[fd00::53]:53`, as CoreDNS's forward plugin and kube-dns read it. */
export function hostPort(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}
