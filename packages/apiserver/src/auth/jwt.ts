/**
 * Signed JSON Web Tokens (RFC 7519) with ES256, as far as ServiceAccount tokens need them: compact form,
 * header `{alg, kid, typ}`, a JSON claims set. node:crypto signs and verifies; nothing else is parsed here.
 */
import { createHash, createSign, createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';

export type JwtClaims = Readonly<Record<string, unknown>>;

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** An ES256 key pair that signs tokens, identified by a key id derived from its public key. */
export class JwtSigner {
  readonly keyId: string;
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
    const der = publicKey.export({ type: 'spki', format: 'der' });
    this.keyId = createHash('sha256').update(der).digest('base64url').slice(0, 32);
  }

  sign(claims: JwtClaims): string {
    const header = base64url(JSON.stringify({ alg: 'ES256', kid: this.keyId, typ: 'JWT' }));
    const payload = base64url(JSON.stringify(claims));
    const signer = createSign('SHA256');
    signer.update(`${header}.${payload}`);
    const signature = signer.sign({ key: this.#privateKey, dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${base64url(signature)}`;
  }

  /** The claims of a token this signer made, or why it is not one. Never throws. */
  verify(token: string): { ok: true; claims: JwtClaims } | { ok: false; error: string } {
    const parts = token.split('.');
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
      return { ok: false, error: 'not a compact JWT' };
    }
    const [header = '', payload = '', signature = ''] = parts;
    const head = parseJson(header);
    if (head?.alg !== 'ES256' || head.kid !== this.keyId) {
      return { ok: false, error: 'not signed by this server' };
    }
    const verifier = createVerify('SHA256');
    verifier.update(`${header}.${payload}`);
    const valid = verifier.verify(
      { key: this.#publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    if (!valid) return { ok: false, error: 'signature does not verify' };
    const claims = parseJson(payload);
    if (claims === undefined) return { ok: false, error: 'claims are not a JSON object' };
    return { ok: true, claims };
  }
}

function parseJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
