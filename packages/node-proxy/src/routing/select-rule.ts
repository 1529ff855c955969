/**
 * Which mesh route rule a request takes (pure): the caller's namespace picks the table (its consumer routes,
 * else the producer's), then the first match in precedence order that holds. The tables were sorted and
 * their patterns compiled when the snapshot was built; here only strings are compared and matchers run.
 */
import type {
  CompiledMatch,
  CompiledValueMatch,
  HttpRuleTable,
  MeshRouting,
  RuleTables,
} from '../snapshot/mesh-routing.js';

/** The parts of a request a rule looks at. Header names are lower case, as node gives them. */
export interface RuleRequest {
  readonly method: string;
  /** Path and query as sent (`/a/b?x=1`). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The tables that apply to a caller: its namespace's consumer routes, else the producer's. */
export function tablesFor(mesh: MeshRouting, callerNamespace: string | undefined): RuleTables | undefined {
  if (callerNamespace !== undefined && mesh.consumers.size > 0) {
    const consumer = mesh.consumers.get(callerNamespace);
    if (consumer !== undefined) return consumer;
  }
  return mesh.producer;
}

/** The first match that holds; undefined: no rule applies (the proxy answers 404). */
export function selectMatch(table: HttpRuleTable, request: RuleRequest): CompiledMatch | undefined {
  const queryAt = request.path.indexOf('?');
  const path = queryAt === -1 ? request.path : request.path.slice(0, queryAt);
  let query: URLSearchParams | undefined;
  for (const match of table.matches) {
    if (!pathHolds(match, path)) continue;
    if (match.method !== undefined && match.method !== request.method) continue;
    if (!match.headers.every((h) => headerHolds(h, request.headers[h.name]))) continue;
    if (match.queryParams.length > 0) {
      query ??= new URLSearchParams(queryAt === -1 ? '' : request.path.slice(queryAt + 1));
      const params = query;
      if (!match.queryParams.every((q) => valueHolds(q, params.get(q.name) ?? undefined))) continue;
    }
    return match;
  }
  return undefined;
}

function pathHolds(match: CompiledMatch, path: string): boolean {
  const p = match.path;
  switch (p.type) {
    case 'Exact':
      return path === p.value;
    case 'PathPrefix':
      return p.value === '' || path === p.value || path.startsWith(p.withSlash);
    case 'RegularExpression':
      return p.pattern.matches(path);
  }
}

function headerHolds(match: CompiledValueMatch, raw: string | string[] | undefined): boolean {
  if (raw === undefined) return false;
  return valueHolds(match, Array.isArray(raw) ? raw.join(',') : raw);
}

function valueHolds(match: CompiledValueMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (match.exact !== undefined) return value === match.exact;
  return match.pattern?.matches(value) ?? false;
}
