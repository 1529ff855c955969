/**
 * The `status` to write on a route (pure): the entries of other controllers kept as they are, ours replaced
 * by the desired ones, and each condition's `lastTransitionTime` kept while its status does not change.
 * Undefined when what is there already says the same (no write).
 */
import { MESH_CONTROLLER_NAME, type ParentStatus } from './route-conditions.js';

type Json = Record<string, unknown>;

export interface WrittenCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration: number;
  readonly lastTransitionTime: string;
}

export function nextRouteStatus(
  current: unknown,
  desired: readonly ParentStatus[],
  now: Date,
): { parents: Json[] } | undefined {
  const parents = Array.isArray((current as { parents?: unknown } | undefined)?.parents)
    ? ((current as { parents: unknown[] }).parents.filter(
        (p) => typeof p === 'object' && p !== null,
      ) as Json[])
    : [];
  const others = parents.filter((p) => p.controllerName !== MESH_CONTROLLER_NAME);
  const ours = parents.filter((p) => p.controllerName === MESH_CONTROLLER_NAME);
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const next = desired.map((entry) => {
    const before = ours.find((p) => sameJson(p.parentRef, entry.parentRef));
    const beforeConditions = Array.isArray(before?.conditions)
      ? (before.conditions as WrittenCondition[])
      : [];
    return {
      parentRef: entry.parentRef,
      controllerName: entry.controllerName,
      conditions: entry.conditions.map((condition): WrittenCondition => {
        const old = beforeConditions.find((c) => c.type === condition.type);
        const keep =
          old !== undefined && old.status === condition.status && typeof old.lastTransitionTime === 'string';
        return { ...condition, lastTransitionTime: keep ? old.lastTransitionTime : stamp };
      }),
    };
  });
  if (sameJson(ours, next)) return undefined;
  return { parents: [...others, ...next] };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as Json)[k])]),
  );
}
