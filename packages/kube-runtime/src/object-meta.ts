/**
 * Safe readers of `metadata` on objects that came from the API server and have not been validated yet.
 * They never throw; a missing or mistyped field reads as undefined.
 */
export interface ObjectMetaView {
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly resourceVersion: string | undefined;
  readonly uid: string | undefined;
}

export function readObjectMeta(obj: unknown): ObjectMetaView {
  const metadata = isRecord(obj) ? obj.metadata : undefined;
  const field = (key: string): string | undefined => {
    if (!isRecord(metadata)) return undefined;
    const value = metadata[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  return {
    namespace: field('namespace'),
    name: field('name'),
    resourceVersion: field('resourceVersion'),
    uid: field('uid'),
  };
}

/** `namespace/name`, or just `name` for cluster-scoped objects; undefined when the object has no name. */
export function objectKey(obj: unknown): string | undefined {
  const { namespace, name } = readObjectMeta(obj);
  if (name === undefined) return undefined;
  return namespace === undefined ? name : `${namespace}/${name}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
