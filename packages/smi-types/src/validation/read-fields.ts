import { describeValue } from './describe.js';
import { fieldPath } from './path.js';
import type { FieldError } from './result.js';

/**
 * Small readers for objects of unknown shape. Each one reports what is wrong at its path into `errors` and
 * returns `undefined`, so a validator can keep going and report every problem, not just the first.
 */
export type ErrorSink = FieldError[];

export type UnknownObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is UnknownObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The field's own value; `undefined` when absent (inherited properties never count). */
export function own(obj: UnknownObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

export function expectObject(value: unknown, path: string, errors: ErrorSink): UnknownObject | undefined {
  if (value === undefined || value === null) {
    errors.push({ path, message: 'is required' });
    return undefined;
  }
  if (!isObject(value)) {
    errors.push({ path, message: `must be an object, got ${describeValue(value)}` });
    return undefined;
  }
  return value;
}

export function expectList(value: unknown, path: string, errors: ErrorSink): readonly unknown[] | undefined {
  if (value === undefined || value === null) {
    errors.push({ path, message: 'is required' });
    return undefined;
  }
  if (!Array.isArray(value)) {
    errors.push({ path, message: `must be a list, got ${describeValue(value)}` });
    return undefined;
  }
  return value;
}

/** An optional list: absent or null reads as empty. */
export function optionalList(
  value: unknown,
  path: string,
  errors: ErrorSink,
): readonly unknown[] | undefined {
  if (value === undefined || value === null) return [];
  return expectList(value, path, errors);
}

export function expectString(value: unknown, path: string, errors: ErrorSink): string | undefined {
  if (value === undefined || value === null) {
    errors.push({ path, message: 'is required' });
    return undefined;
  }
  if (typeof value !== 'string') {
    errors.push({ path, message: `must be a string, got ${describeValue(value)}` });
    return undefined;
  }
  return value;
}

/** A string that must not be empty. */
export function expectNonEmptyString(value: unknown, path: string, errors: ErrorSink): string | undefined {
  const text = expectString(value, path, errors);
  if (text === '') {
    errors.push({ path, message: 'must not be empty' });
    return undefined;
  }
  return text;
}

/** A string field read from `obj` at `parent.key`. */
export function stringField(
  obj: UnknownObject,
  key: string,
  parent: string,
  errors: ErrorSink,
): string | undefined {
  return expectNonEmptyString(own(obj, key), fieldPath(parent, key), errors);
}
