/**
 * The path of a request as policy matches it and the backend receives it (pure). RFC 3986 §6.2.2: percent-
 * encoded unreserved characters are decoded (`%62` → `b`, `%2E` → `.`), other percent-encodings get upper-case
 * hex, then dot segments are removed (§5.2.4), so `/books/../admin` and `/books/%2e%2e/admin` are `/admin`.
 *
 * Refused, because backends disagree on what they mean and a rule could be matched against one reading while
 * the backend acts on another: an encoded slash or backslash (`%2F`, `%5C`), a raw backslash (some servers
 * take it for `/`), a dot segment with parameters (`..;x`, which Tomcat reads as `..`), and a malformed
 * percent-encoding. Slashes are not merged: `//a` stays `//a` (a rule that allows `/a` does not allow it).
 */

export type PathError = 'bad_percent_encoding' | 'encoded_slash' | 'backslash' | 'dot_segment_parameters';

export type NormalisedPath = { readonly path: string } | { readonly error: PathError };

/** What each path error says to the caller (400). */
export const PATH_ERROR_MESSAGES: Readonly<Record<PathError, string>> = {
  bad_percent_encoding: 'the path has a malformed percent-encoding',
  encoded_slash: 'the path has an encoded slash or backslash (%2F, %5C), which the mesh does not route',
  backslash: 'the path has a backslash, which the mesh does not route',
  dot_segment_parameters: 'the path has a dot segment with parameters (..;), which the mesh does not route',
};

/** Normalises `path` (the part of the request target before `?`, starting with `/`). */
export function normalisePath(path: string): NormalisedPath {
  // Most paths are plain: nothing to decode and no dot segment, so the string itself is the answer.
  if (!/[%\\;]|\/\.\.?(?:\/|$)/.test(path)) return { path };
  if (path.includes('\\')) return { error: 'backslash' };
  const decoded = decodeUnreserved(path);
  if ('error' in decoded) return decoded;
  const segments = decoded.path.split('/');
  if (segments.some((s) => /^\.\.?;/.test(s))) return { error: 'dot_segment_parameters' };
  return { path: removeDotSegments(decoded.path) };
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const HEX = /^[0-9A-Fa-f]{2}$/;

/** `%XX` of an unreserved character → the character; any other `%XX` → upper-case hex. */
function decodeUnreserved(path: string): NormalisedPath {
  let out = '';
  let from = 0;
  for (let at = path.indexOf('%'); at !== -1; at = path.indexOf('%', from)) {
    const hex = path.slice(at + 1, at + 3);
    if (!HEX.test(hex)) return { error: 'bad_percent_encoding' };
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    if (char === '/' || char === '\\') return { error: 'encoded_slash' };
    out += path.slice(from, at) + (UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`);
    from = at + 3;
  }
  return { path: out + path.slice(from) };
}

/** RFC 3986 §5.2.4, on an absolute path: `.` segments go, a `..` segment takes the one before it along. */
export function removeDotSegments(path: string): string {
  const output: string[] = [];
  const segments = path.split('/').slice(1);
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') output.pop();
      // A dot segment at the end leaves a directory: `/a/b/..` is `/a/`.
      if (last) output.push('');
      continue;
    }
    output.push(segment);
  }
  return `/${output.join('/')}`;
}
