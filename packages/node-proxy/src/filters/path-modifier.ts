/**
 * ReplaceFullPath and ReplacePrefixMatch (pure), shared by RequestRedirect and URLRewrite. The query string
 * is kept. ReplacePrefixMatch replaces the matched PathPrefix, element-wise: prefix `/foo` with `/bar` turns
 * `/foo/x` into `/bar/x`, and with `/` turns `/foo/x` into `/x` and `/foo` into `/`.
 */
import type { PathModifier } from '@nodemesh/smi-types';

/**
 * The new path-and-query. `matchedPrefix` is the rule's PathPrefix without its trailing slash ('' for `/`),
 * as the rule table holds it.
 */
export function modifyPath(
  pathAndQuery: string,
  modifier: PathModifier,
  matchedPrefix: string | undefined,
): string {
  const queryAt = pathAndQuery.indexOf('?');
  const path = queryAt === -1 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
  const query = queryAt === -1 ? '' : pathAndQuery.slice(queryAt);
  if (modifier.type === 'ReplaceFullPath') return `${modifier.value}${query}`;
  const prefix = matchedPrefix ?? '';
  const rest = path.slice(prefix.length); // '' or '/…'
  const replacement = modifier.value.replace(/\/+$/, '');
  const joined = `${replacement}${rest}`;
  return `${joined === '' ? '/' : joined}${query}`;
}
