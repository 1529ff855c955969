/**
 * Names of everything the harness makes. Every namespace carries the run's prefix `nmt<pid>-`, so a later run
 * can recognise leftovers of a run whose process died (its pid is gone) and remove them, and so a check after
 * the suite can prove nothing of this run remains. Interface names live inside the run's own namespaces, so
 * they need no prefix, only the kernel's 15-character limit.
 */

/** The prefix shared by every harness run: `nmt` then the owning process id. */
export const HARNESS_PREFIX = 'nmt';

const RUN_PREFIX = /^nmt(\d+)-/;
const SHORT_NAME = /^[a-z][a-z0-9-]{0,11}$/;

/** Linux refuses interface names longer than 15 bytes (IFNAMSIZ less the NUL). */
export const MAX_INTERFACE_NAME = 15;

/** The prefix of one run, e.g. `nmt4242-`. */
export function runPrefix(pid: number = process.pid): string {
  return `${HARNESS_PREFIX}${pid}-`;
}

/** The pid that owns a harness name, or undefined for a name the harness did not make. */
export function ownerPid(name: string): number | undefined {
  const match = RUN_PREFIX.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Checks a node or pod name: short (it ends up in an interface name), lower-case, DNS-label-like.
 * Returns a message saying what is wrong, or undefined when the name is fine.
 */
export function checkShortName(kind: string, name: string): string | undefined {
  if (SHORT_NAME.test(name)) return undefined;
  return `${kind} name must match ${SHORT_NAME.source} (it becomes part of an interface name), got ${JSON.stringify(name)}`;
}

/** Throws unless `name` is a valid interface name. */
export function assertInterfaceName(name: string): string {
  if (name.length === 0 || name.length > MAX_INTERFACE_NAME || /[\s/:]/.test(name)) {
    throw new Error(
      `interface name must be 1-${MAX_INTERFACE_NAME} characters without spaces, "/" or ":", got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/**
 * The tag that starts every interface name of a run: `nm` and the pid in base 36 (at most 7 characters for
 * pids up to 2^22), leaving room for a role letter and an index within the 15-character limit.
 */
export function linkTag(pid: number = process.pid): string {
  return `nm${pid.toString(36)}`;
}

/** An interface name of the run: tag, role letter (`b` bridge, `h` hub side, `p` pod side, `s` services), index. */
export function linkName(tag: string, role: 'b' | 'h' | 'p' | 's', index: number): string {
  return assertInterfaceName(`${tag}${role}${index.toString(36)}`);
}
