import { SMI_EXAMPLES } from '../../src/smi/examples.js';

type Key = string | number;

/** A deep copy of `object` with the field at `path` set to `value`, or removed when `value` is `undefined`. */
export function withField(object: unknown, path: readonly Key[], value: unknown): unknown {
  const copy: unknown = structuredClone(object);
  let node = copy as Record<Key, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<Key, unknown>;
  const last = path[path.length - 1] as Key;
  if (value === undefined) {
    if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1);
    else delete node[last];
  } else {
    node[last] = value;
  }
  return copy;
}

/** The valid example of one served apiVersion and kind. */
export function example(apiVersion: string, kind: string): Readonly<Record<string, unknown>> {
  const found = SMI_EXAMPLES.find((e) => e.apiVersion === apiVersion && e.kind === kind);
  if (found === undefined) throw new Error(`no example for ${apiVersion} ${kind}`);
  return found.object;
}

/** One invalid case: a change to a valid example and the exact errors it must produce. */
export interface InvalidCase {
  readonly name: string;
  readonly path: readonly Key[];
  readonly value: unknown;
  readonly errors: readonly { path: string; message: string }[];
}
