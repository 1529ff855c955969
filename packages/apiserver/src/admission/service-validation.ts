import type { StatusCause } from '../api/api-error.js';
import { isRecord, type KubeObject } from '../api/kube-object.js';

const serviceTypes = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const protocols = ['TCP', 'UDP', 'SCTP'];

function validPort(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** A named port: an IANA service name (what a targetPort string must be). */
function validPortName(value: string): boolean {
  return (
    value.length <= 15 &&
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) &&
    /[a-z]/.test(value) &&
    !value.includes('--')
  );
}

/**
 * The Service checks the real server makes that matter to the mesh: type, port numbers and protocols,
 * port names (required and unique when there are several), targetPorts. Pure; never throws.
 */
export function validateService(svc: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = isRecord(svc.spec) ? svc.spec : {};
  const type = spec.type ?? 'ClusterIP';
  if (typeof type !== 'string' || !serviceTypes.includes(type)) {
    causes.push({
      field: 'spec.type',
      message: `Unsupported value: ${JSON.stringify(type)}: supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`,
    });
  }
  const ports = spec.ports ?? [];
  if (!Array.isArray(ports)) {
    causes.push({ field: 'spec.ports', message: 'Invalid value: must be a list of ports' });
    return causes;
  }
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && type !== 'ExternalName' && !headless) {
    causes.push({ field: 'spec.ports', message: 'Required value', reason: 'FieldValueRequired' });
  }
  const names = new Set<string>();
  ports.forEach((port: unknown, i) => {
    const at = `spec.ports[${i}]`;
    if (!isRecord(port)) {
      causes.push({ field: at, message: 'Invalid value: must be an object' });
      return;
    }
    if (!validPort(port.port)) {
      causes.push({
        field: `${at}.port`,
        message: `Invalid value: ${JSON.stringify(port.port ?? null)}: must be between 1 and 65535, inclusive`,
      });
    }
    const protocol = port.protocol ?? 'TCP';
    if (typeof protocol !== 'string' || !protocols.includes(protocol)) {
      causes.push({
        field: `${at}.protocol`,
        message: `Unsupported value: ${JSON.stringify(protocol)}: supported values: "SCTP", "TCP", "UDP"`,
      });
    }
    const name = port.name;
    if (name === undefined || name === '') {
      if (ports.length > 1)
        causes.push({ field: `${at}.name`, message: 'Required value', reason: 'FieldValueRequired' });
    } else if (
      typeof name !== 'string' ||
      !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) ||
      name.length > 63
    ) {
      causes.push({
        field: `${at}.name`,
        message: `Invalid value: ${JSON.stringify(name)}: must be a lowercase RFC 1123 label`,
      });
    } else if (names.has(name)) {
      causes.push({
        field: `${at}.name`,
        message: `Duplicate value: ${JSON.stringify(name)}`,
        reason: 'FieldValueDuplicate',
      });
    } else {
      names.add(name);
    }
    const target = port.targetPort;
    if (target !== undefined) {
      const ok =
        typeof target === 'number'
          ? validPort(target)
          : typeof target === 'string' &&
            (validPortName(target) || (/^[0-9]+$/.test(target) && validPort(Number(target))));
      if (!ok) {
        causes.push({
          field: `${at}.targetPort`,
          message: `Invalid value: ${JSON.stringify(target)}: must be a port number between 1 and 65535 or an IANA service name`,
        });
      }
    }
  });
  const selector = spec.selector;
  if (
    selector !== undefined &&
    selector !== null &&
    (!isRecord(selector) || Object.values(selector).some((v) => typeof v !== 'string'))
  ) {
    causes.push({
      field: 'spec.selector',
      message: 'Invalid value: must be a map of string keys to string values',
    });
  }
  return causes;
}
