/**
 * Who is at the other end of a mutual-TLS connection: the SPIFFE ID of the peer's certificate, once Node has
 * verified its chain against the trust bundle. For mTLS between node proxies (issue 15).
 */
import type { TLSSocket } from 'node:tls';
import { parseSpiffeId, type WorkloadIdentity } from '@nodemesh/smi-types';

/** The peer's identity in `trustDomain`; undefined unless the socket is authorised and names exactly one. */
export function peerIdentity(socket: TLSSocket, trustDomain: string): WorkloadIdentity | undefined {
  if (!socket.authorized) return undefined;
  const names = socket.getPeerX509Certificate()?.subjectAltName?.split(', ') ?? [];
  if (names.length !== 1 || !names[0]?.startsWith('URI:')) return undefined;
  const identity = parseSpiffeId(names[0].slice('URI:'.length));
  return identity?.trustDomain === trustDomain ? identity : undefined;
}
