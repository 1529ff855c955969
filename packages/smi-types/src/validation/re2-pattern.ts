import { RE2JS } from 're2js';
import { describeValue } from './describe.js';
import type { ErrorSink } from './read-fields.js';

/** Longest pattern accepted: user regexes run on every request, so keep them small. */
export const MAX_PATTERN_LENGTH = 1024;

/**
 * Why `pattern` cannot be used by the node-proxy's linear-time (RE2) engine, or `undefined` when it can.
 * RE2 has no backreferences and no lookaround; those patterns are refused here rather than at request time.
 */
export function re2PatternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `must be at most ${MAX_PATTERN_LENGTH} characters long, got ${pattern.length}`;
  }
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `is not a regular expression RE2 accepts (${reason})`;
  }
}

export function expectRe2Pattern(value: unknown, path: string, errors: ErrorSink): string | undefined {
  if (typeof value !== 'string') {
    errors.push({ path, message: `must be a string, got ${describeValue(value)}` });
    return undefined;
  }
  const problem = re2PatternProblem(value);
  if (problem !== undefined) {
    errors.push({ path, message: problem });
    return undefined;
  }
  return value;
}
