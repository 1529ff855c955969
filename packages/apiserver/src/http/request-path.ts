/** A parsed resource URL: `/apis/<group>/<version>/namespaces/<ns>/<plural>/<name>/<subresource>`. */
export interface ResourcePath {
  group: string;
  version: string;
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
  /** The legacy `/watch/` path prefix was used. */
  legacyWatch: boolean;
}

/** What a URL path addresses: discovery, or a resource. Pure. */
export type ApiPath =
  | { kind: 'core-versions' }
  | { kind: 'groups' }
  | { kind: 'group'; group: string }
  | { kind: 'resources'; group: string; version: string }
  | { kind: 'resource'; path: ResourcePath }
  | { kind: 'unknown' };

export function parseApiPath(pathname: string): ApiPath {
  const segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(safeDecode);
  if (segments.some((s) => s === undefined)) return { kind: 'unknown' };
  const parts = segments as string[];
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'core-versions' };
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'groups' };
    if (parts.length === 2) return { kind: 'group', group: parts[1] ?? '' };
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else {
    return { kind: 'unknown' };
  }
  if (rest.length === 0) return { kind: 'resources', group, version };
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  // `/namespaces/<ns>/<plural>...` is namespaced unless it is the Namespace itself (or its status).
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))
  ) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  // `pods/<name>/proxy/<path...>`: the path under the pod is the proxy's business, not a resource's.
  if (rest.length > 3 && rest[2] === 'proxy') rest = rest.slice(0, 3);
  if (rest.length === 0 || rest.length > 3) return { kind: 'unknown' };
  const path: ResourcePath = { group, version, plural: rest[0] ?? '', legacyWatch };
  if (namespace !== undefined) path.namespace = namespace;
  if (rest[1] !== undefined) path.name = rest[1];
  if (rest[2] !== undefined) path.subresource = rest[2];
  return { kind: 'resource', path };
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
