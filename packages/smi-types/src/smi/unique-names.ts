import { describeValue } from '../validation/describe.js';
import { type ErrorSink, expectNonEmptyString } from '../validation/read-fields.js';

/**
 * Reads a match name that must be unique in its resource: rules select matches by name, so two matches of
 * one name would make a rule ambiguous. `seen` maps each name to the path where it first appeared.
 */
export function readUniqueName(
  value: unknown,
  path: string,
  seen: Map<string, string>,
  errors: ErrorSink,
): string | undefined {
  const name = expectNonEmptyString(value, path, errors);
  if (name === undefined) return undefined;
  const first = seen.get(name);
  if (first !== undefined) {
    errors.push({ path, message: `duplicates the name ${describeValue(name)} of ${first}` });
    return undefined;
  }
  seen.set(name, path);
  return name;
}
