/**
 * The name of the shadow Service of `<namespace>/<name>`. Kubernetes Service names are DNS-1035 labels
 * of at most 63 characters, and `<namespace>-<name>` alone can be 127 long and ambiguous (`a-b`/`c` and
 * `a`/`b-c`), so the name is a readable prefix plus a hash of an unambiguous encoding of both parts.
 */
import { createHash } from 'node:crypto';

const MAX_NAME = 63;
/** 16 hex digits: 64 bits, so a collision among even a million Services has odds around 1 in 3e7. */
const HASH_LENGTH = 16;
const MAX_PREFIX = MAX_NAME - HASH_LENGTH - 1;

/** Deterministic, at most 63 characters, `[a-z]([-a-z0-9]*[a-z0-9])?`; distinct inputs give distinct names. */
export function shadowServiceName(namespace: string, name: string): string {
  // JSON of the pair is unambiguous whatever characters either part holds.
  const hash = createHash('sha256')
    .update(JSON.stringify([namespace, name]))
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const readable = `${namespace}-${name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, MAX_PREFIX)
    .replace(/-+$/, '');
  return `${readable === '' ? 'shadow' : readable}-${hash}`;
}
