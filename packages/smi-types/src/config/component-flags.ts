/**
 * What both components' command lines agree on (docs/components.md): every flag can also be given as an
 * environment variable `NODEMESH_<FLAG>`, and port ranges are written `FIRST-LAST`.
 */
import type { PortRange } from '../shadow/contract.js';

/** `http-entrypoints` → `NODEMESH_HTTP_ENTRYPOINTS`. */
export function envNameOfFlag(flag: string): string {
  return `NODEMESH_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** `10000-14999` → `{first: 10000, last: 14999}`; undefined unless 1 <= FIRST <= LAST <= 65535. */
export function parsePortRange(text: string): PortRange | undefined {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const first = Number(match[1]);
  const last = Number(match[2]);
  return first >= 1 && last <= 65535 && first <= last ? { first, last } : undefined;
}
