import { getPath } from '../api/kube-object.js';
import type { ParseResult } from './label-selector.js';

/** One requirement of a field selector: `metadata.name=x` or `spec.nodeName!=y`. */
export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

/**
 * Parses a field selector. Any dotted field path is accepted (the real server accepts a fixed set per kind;
 * `metadata.name`, `metadata.namespace` and `spec.nodeName` are the ones Nodemesh uses).
 */
export function parseFieldSelector(text: string): ParseResult<FieldRequirement[]> {
  if (text.trim() === '') return { ok: true, value: [] };
  const out: FieldRequirement[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    const m = /^([A-Za-z0-9_.-]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) return { ok: false, error: `invalid field selector requirement ${JSON.stringify(part)}` };
    const [, field = '', op = '', value = ''] = m;
    if (field.startsWith('.') || field.endsWith('.') || field.includes('..')) {
      return { ok: false, error: `field label not supported: ${field}` };
    }
    out.push({ field, op: op === '!=' ? 'neq' : 'eq', value: value.trim() });
  }
  return { ok: true, value: out };
}

/** The value of a field as the selector compares it: strings as is, numbers and booleans as text, else ''. */
function fieldValue(obj: unknown, field: string): string {
  const v = getPath(obj, field.split('.'));
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

export function matchesFields(requirements: readonly FieldRequirement[], obj: unknown): boolean {
  return requirements.every((req) => {
    const v = fieldValue(obj, req.field);
    return req.op === 'eq' ? v === req.value : v !== req.value;
  });
}
