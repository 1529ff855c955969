/** One requirement of a label selector. */
export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

const keyPattern =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const valuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth < 0) return undefined;
    } else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  parts.push(text.slice(start));
  return parts;
}

/** Why a label (or annotation) key is malformed, or undefined. */
export function checkLabelKey(key: string): string | undefined {
  if (!keyPattern.test(key) || key.length > 317) return `invalid label key "${key}"`;
  return undefined;
}

/** Why a label value is malformed, or undefined. */
export function checkLabelValue(value: string): string | undefined {
  if (value.length > 63 || !valuePattern.test(value)) return `invalid label value "${value}"`;
  return undefined;
}

function parseRequirement(raw: string): ParseResult<LabelRequirement> {
  const text = raw.trim();
  const setMatch = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(text);
  if (setMatch) {
    const [, key = '', op = '', list = ''] = setMatch;
    const values = list.split(',').map((v) => v.trim());
    const bad = checkLabelKey(key) ?? values.map(checkLabelValue).find((e) => e !== undefined);
    if (bad) return { ok: false, error: bad };
    return { ok: true, value: { key, op: op === 'in' ? 'in' : 'notin', values } };
  }
  const opMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(text);
  if (opMatch) {
    const [, key = '', op = '', value = ''] = opMatch;
    const bad = checkLabelKey(key) ?? checkLabelValue(value);
    if (bad) return { ok: false, error: bad };
    return { ok: true, value: { key, op: op === '!=' ? 'neq' : 'eq', value } };
  }
  if (text.startsWith('!')) {
    const key = text.slice(1).trim();
    const bad = checkLabelKey(key);
    if (bad) return { ok: false, error: bad };
    return { ok: true, value: { key, op: 'notexists' } };
  }
  const bad = checkLabelKey(text);
  if (bad) return { ok: false, error: `unable to parse requirement: ${JSON.stringify(text)}` };
  return { ok: true, value: { key: text, op: 'exists' } };
}

/**
 * Parses a label selector (`app=web,tier!=db,env in (a,b),!legacy`). The empty string selects everything.
 */
export function parseLabelSelector(text: string): ParseResult<LabelRequirement[]> {
  if (text.trim() === '') return { ok: true, value: [] };
  const parts = splitTopLevel(text);
  if (!parts) return { ok: false, error: `unbalanced parentheses in label selector ${JSON.stringify(text)}` };
  const out: LabelRequirement[] = [];
  for (const part of parts) {
    if (part.trim() === '')
      return { ok: false, error: `empty requirement in label selector ${JSON.stringify(text)}` };
    const parsed = parseRequirement(part);
    if (!parsed.ok) return parsed;
    out.push(parsed.value);
  }
  return { ok: true, value: out };
}

/** Whether labels satisfy every requirement. */
export function matchesLabels(
  requirements: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return requirements.every((req) => {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    switch (req.op) {
      case 'eq':
        return has && value === req.value;
      case 'neq':
        return !has || value !== req.value;
      case 'in':
        return has && value !== undefined && req.values.includes(value);
      case 'notin':
        return !has || value === undefined || !req.values.includes(value);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
    return false;
  });
}

/** Whether labels match a `matchLabels`-style equality map (a Service selector). Empty matches nothing. */
export function matchesSelectorMap(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  const entries = Object.entries(selector);
  if (entries.length === 0) return false;
  return entries.every(([k, v]) => labels[k] === v);
}
