/** URLRewrite (pure): the Host and path-and-query the upstream receives. The Host keeps the request's port. */
import type { UrlRewrite } from '@nodemesh/smi-types';
import { modifyPath } from './path-modifier.js';
import { splitHost } from './redirect.js';

export function rewriteUrl(
  rewrite: UrlRewrite,
  request: { readonly host: string; readonly pathAndQuery: string },
  matchedPrefix: string | undefined,
): { host: string; pathAndQuery: string } {
  let host = request.host;
  if (rewrite.hostname !== undefined) {
    const { port } = splitHost(request.host);
    host = port === undefined ? rewrite.hostname : `${rewrite.hostname}:${port}`;
  }
  const pathAndQuery =
    rewrite.path === undefined
      ? request.pathAndQuery
      : modifyPath(request.pathAndQuery, rewrite.path, matchedPrefix);
  return { host, pathAndQuery };
}
