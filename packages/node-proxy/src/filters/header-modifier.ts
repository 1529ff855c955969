/**
 * RequestHeaderModifier and ResponseHeaderModifier (pure): `set` replaces, `add` appends to what is there
 * (comma-joined, as one field), `remove` deletes. Works on the lower-case header objects both the request
 * path and undici use, and returns a new object.
 */
import type { HeaderModifier } from '@nodemesh/smi-types';

export type HeaderObject = Record<string, string | string[]>;

export function modifyHeaders(
  headers: Readonly<HeaderObject>,
  modifier: HeaderModifier | undefined,
): HeaderObject {
  if (modifier === undefined) return headers as HeaderObject;
  const out: HeaderObject = { ...headers };
  for (const { name, value } of modifier.set) out[name] = value;
  for (const { name, value } of modifier.add) {
    const prior = out[name];
    out[name] = prior === undefined ? value : `${Array.isArray(prior) ? prior.join(',') : prior},${value}`;
  }
  for (const name of modifier.remove) delete out[name];
  return out;
}
