import { parseApiPath } from './request-path.js';

/** Kubernetes RBAC verbs a resource request maps to. */
export type AuditVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection';

/**
 * One resource request as kube-apiserver's RequestInfo describes it, so a test can check it against RBAC.
 * `name` is also set for a list or watch narrowed by the field selector `metadata.name=<name>`, as the real
 * authorizer does, because RBAC resourceNames can grant exactly that.
 */
export interface AuditCall {
  verb: AuditVerb;
  /** "" for the core group. */
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** The client's User-Agent header, as in a real audit Event: tells a component's calls from a test's. */
  userAgent?: string;
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

function nameFromFieldSelector(selector: string | null): string | undefined {
  if (selector === null) return undefined;
  const terms = selector.split(',').filter((t) => t !== '');
  if (terms.length !== 1) return undefined;
  const match = /^metadata\.name==?(.+)$/.exec(terms[0] ?? '');
  return match?.[1];
}

/** What RBAC sees in a request; undefined for non-resource paths (discovery, health) and unknown methods. Pure. */
export function auditCallOf(method: string, url: URL, userAgent?: string): AuditCall | undefined {
  const parsed = parseApiPath(url.pathname);
  if (parsed.kind !== 'resource') return undefined;
  const path = parsed.path;
  const watching = path.legacyWatch || isTrue(url.searchParams.get('watch'));
  let verb: AuditVerb | undefined;
  let name = path.name;
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watching) verb = 'watch';
      else verb = name === undefined ? 'list' : 'get';
      if (name === undefined) name = nameFromFieldSelector(url.searchParams.get('fieldSelector'));
      break;
    case 'POST':
      // A create names its object only through a subresource (`serviceaccounts/<name>/token`).
      if (name === undefined || path.subresource !== undefined) verb = 'create';
      break;
    case 'PUT':
      if (name !== undefined) verb = 'update';
      break;
    case 'PATCH':
      if (name !== undefined) verb = 'patch';
      break;
    case 'DELETE':
      verb = name === undefined ? 'deletecollection' : 'delete';
      break;
  }
  if (verb === undefined) return undefined;
  const call: AuditCall = { verb, apiGroup: path.group, resource: path.plural };
  if (path.subresource !== undefined) call.subresource = path.subresource;
  if (path.namespace !== undefined) call.namespace = path.namespace;
  if (name !== undefined) call.name = name;
  if (userAgent !== undefined) call.userAgent = userAgent;
  return call;
}
