/**
 * The target of a tunnel stream: the `:authority` of an HTTP/2 CONNECT, which must be exactly `podIP:port`
 * (IPv4 dotted quad, or `[IPv6]:port`). Names are refused: the caller's proxy has already chosen the pod, and
 * the destination never resolves anything a peer sends. Pure.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface TunnelTarget {
  /** The pod's address, in canonical form (IPv6 lower case and compressed as Node writes it). */
  readonly podIP: string;
  readonly port: number;
}

/** The longest authority we read: `[` + 39 characters of IPv6 + `]:65535`. */
const MAX_AUTHORITY_LENGTH = 47;

/** Reads `podIP:port`; undefined for anything else (names, ports out of range or with leading zeros, extras). */
export function parseTunnelTarget(authority: unknown): TunnelTarget | undefined {
  if (typeof authority !== 'string' || authority.length > MAX_AUTHORITY_LENGTH) return undefined;
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):([1-9]\d{0,4})$/.exec(authority);
  if (match === null) return undefined;
  const [, v6, v4, portText = ''] = match;
  const port = Number(portText);
  if (port > 65_535) return undefined;
  if (v4 !== undefined) return isIPv4(v4) ? { podIP: v4, port } : undefined;
  if (v6 === undefined || !isIPv6(v6)) return undefined;
  return { podIP: canonicalIPv6(v6), port };
}

/** The `:authority` a tunnel client sends for a target. */
export function formatTunnelTarget(target: TunnelTarget): string {
  return isIPv6(target.podIP) ? `[${target.podIP}]:${target.port}` : `${target.podIP}:${target.port}`;
}

/** One spelling per IPv6 address, so a pod is never looked up under a second name. */
export function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}
