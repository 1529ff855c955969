import { isRecord, type JsonValue } from '../api/kube-object.js';

export type PatchResult = { ok: true; value: JsonValue } | { ok: false; error: string };

function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

type Container = JsonValue[] | { [key: string]: JsonValue };

/** Walks to the parent of the last token; returns the parent container and the last token. */
function locateParent(doc: JsonValue, tokens: string[]): { parent: Container; last: string } | string {
  let current: JsonValue = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i] ?? '';
    if (Array.isArray(current)) {
      const index = Number(token);
      if (!/^(0|[1-9][0-9]*)$/.test(token) || index >= current.length) return `index ${token} out of range`;
      current = current[index] ?? null;
    } else if (isRecord(current)) {
      if (!Object.hasOwn(current, token)) return `path segment "${token}" does not exist`;
      current = (current as { [key: string]: JsonValue })[token] ?? null;
    } else {
      return `path segment "${token}" is not inside an object or array`;
    }
  }
  if (!Array.isArray(current) && !isRecord(current)) return 'parent is not an object or array';
  return { parent: current as Container, last: tokens[tokens.length - 1] ?? '' };
}

function getAt(doc: JsonValue, tokens: string[]): JsonValue | undefined {
  let current: JsonValue | undefined = doc;
  for (const token of tokens) {
    if (Array.isArray(current))
      current = /^(0|[1-9][0-9]*)$/.test(token) ? current[Number(token)] : undefined;
    else if (isRecord(current))
      current = Object.hasOwn(current, token) ? (current as Record<string, JsonValue>)[token] : undefined;
    else return undefined;
  }
  return current;
}

function arrayIndex(arr: JsonValue[], token: string, forInsert: boolean): number | undefined {
  if (forInsert && token === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const index = Number(token);
  const max = forInsert ? arr.length : arr.length - 1;
  return index <= max ? index : undefined;
}

function addAt(doc: JsonValue, tokens: string[], value: JsonValue): PatchResult {
  if (tokens.length === 0) return { ok: true, value };
  const loc = locateParent(doc, tokens);
  if (typeof loc === 'string') return { ok: false, error: loc };
  if (Array.isArray(loc.parent)) {
    const index = arrayIndex(loc.parent, loc.last, true);
    if (index === undefined) return { ok: false, error: `index ${loc.last} out of range` };
    loc.parent.splice(index, 0, value);
  } else {
    loc.parent[loc.last] = value;
  }
  return { ok: true, value: doc };
}

function removeAt(doc: JsonValue, tokens: string[]): PatchResult {
  if (tokens.length === 0) return { ok: false, error: 'cannot remove the whole document' };
  const loc = locateParent(doc, tokens);
  if (typeof loc === 'string') return { ok: false, error: loc };
  if (Array.isArray(loc.parent)) {
    const index = arrayIndex(loc.parent, loc.last, false);
    if (index === undefined) return { ok: false, error: `index ${loc.last} out of range` };
    loc.parent.splice(index, 1);
  } else {
    if (!Object.hasOwn(loc.parent, loc.last))
      return { ok: false, error: `path "${loc.last}" does not exist` };
    delete loc.parent[loc.last];
  }
  return { ok: true, value: doc };
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]);
    return out;
  }
  return v;
}

/** Applies a JSON patch (RFC 6902). Pure: the target is copied first. Errors name the failing operation. */
export function applyJsonPatch(target: unknown, patch: unknown): PatchResult {
  if (!Array.isArray(patch)) return { ok: false, error: 'a JSON patch must be an array of operations' };
  let doc = structuredClone(target) as JsonValue;
  for (let i = 0; i < patch.length; i++) {
    const op: unknown = patch[i];
    const fail = (why: string): PatchResult => ({ ok: false, error: `operation ${i}: ${why}` });
    if (!isRecord(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      return fail('each operation needs string "op" and "path"');
    }
    const tokens = parsePointer(op.path);
    if (!tokens) return fail(`path ${JSON.stringify(op.path)} must start with "/"`);
    let result: PatchResult;
    switch (op.op) {
      case 'add':
      case 'replace': {
        if (!('value' in op)) return fail(`"${op.op}" needs a "value"`);
        const value = structuredClone(op.value) as JsonValue;
        if (op.op === 'replace') {
          if (getAt(doc, tokens) === undefined) return fail(`path ${op.path} does not exist`);
          const removed = removeAt(doc, tokens);
          if (!removed.ok && tokens.length > 0) return fail(removed.error);
          if (tokens.length === 0) {
            result = { ok: true, value };
            break;
          }
        }
        result = addAt(doc, tokens, value);
        break;
      }
      case 'remove':
        result = removeAt(doc, tokens);
        break;
      case 'move':
      case 'copy': {
        if (typeof op.from !== 'string') return fail(`"${op.op}" needs a string "from"`);
        const from = parsePointer(op.from);
        if (!from) return fail(`from ${JSON.stringify(op.from)} must start with "/"`);
        const value = getAt(doc, from);
        if (value === undefined) return fail(`from ${op.from} does not exist`);
        const copy = structuredClone(value);
        if (op.op === 'move') {
          const removed = removeAt(doc, from);
          if (!removed.ok) return fail(removed.error);
        }
        result = addAt(doc, tokens, copy);
        break;
      }
      case 'test':
        result = deepEqual(getAt(doc, tokens), op.value)
          ? { ok: true, value: doc }
          : { ok: false, error: `test failed at ${op.path}` };
        break;
      default:
        return fail(`unknown op ${JSON.stringify(op.op)}`);
    }
    if (!result.ok) return fail(result.error);
    doc = result.value;
  }
  return { ok: true, value: doc };
}
