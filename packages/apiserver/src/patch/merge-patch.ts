import { isRecord, type JsonValue } from '../api/kube-object.js';

/**
 * Applies a JSON merge patch (RFC 7386): objects merge key by key, `null` removes a key, anything else
 * (arrays included) replaces. Pure; the inputs are not changed.
 */
export function applyMergePatch(target: unknown, patch: unknown): JsonValue {
  if (!isRecord(patch)) return structuredClone(patch as JsonValue);
  const out: Record<string, JsonValue> = isRecord(target)
    ? (structuredClone(target) as Record<string, JsonValue>)
    : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}
