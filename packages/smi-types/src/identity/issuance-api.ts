/**
 * The issuance API between a node-proxy and the issuer (docs/identity.md): one HTTPS request per certificate.
 *
 *   POST /v1/certificates
 *   Authorization: Bearer <projected ServiceAccount token of the node-proxy, audience nodemesh-identity>
 *   {"namespace": "shop", "serviceAccount": "orders", "csr": "-----BEGIN CERTIFICATE REQUEST-----…"}
 *
 * 200 answers a `CertificateResponse`; every refusal is an `IssuanceError` with a stable code and the HTTP
 * status of ISSUANCE_ERROR_STATUS. The CSR proves possession of the key; its subject and SANs are ignored:
 * the issuer writes the SPIFFE ID itself. Both sides validate what they read with the readers below. Pure.
 */

import { describeValue } from '../validation/describe.js';
import { isDns1123Label, isDns1123Subdomain } from '../validation/dns-names.js';
import { type ErrorSink, isObject, own } from '../validation/read-fields.js';
import { type FieldError, fail, ok, type Result } from '../validation/result.js';

export const ISSUANCE_PATH = '/v1/certificates';
/** The largest request body the issuer reads (a P-256 CSR in PEM is under 1 KiB). */
export const MAX_ISSUANCE_REQUEST_BYTES = 16 * 1024;
/** The largest response a node-proxy reads (a chain and a bundle of a few roots). */
export const MAX_ISSUANCE_RESPONSE_BYTES = 256 * 1024;

export interface CertificateRequest {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** PKCS#10 in PEM. */
  readonly csr: string;
}

export interface CertificateResponse {
  readonly spiffeId: string;
  /** PEM: the workload certificate first, then the issuer (and any intermediates), not the root. */
  readonly certificateChain: string;
  /** PEM: the roots a peer's chain may end at, as published in the trust bundle. */
  readonly trustBundle: string;
  /** ISO 8601. */
  readonly notBefore: string;
  readonly notAfter: string;
}

/** Why the issuer refused; each code has one HTTP status. */
export const ISSUANCE_ERROR_STATUS = {
  /** No token, or a token the API server does not accept for the identity audience. */
  Unauthenticated: 401,
  /** A valid token, but not of a node-proxy pod (another ServiceAccount or namespace, or not bound to a pod). */
  NotANodeProxy: 403,
  /** The token's pod is gone, or no longer the pod it was (another uid), or not on the node the token names. */
  NodeProxyPodNotFound: 403,
  /** The ServiceAccount has no pod on the caller's node. */
  ServiceAccountNotOnNode: 403,
  /** The body is not a CertificateRequest. */
  BadRequest: 400,
  /** The CSR is not PKCS#10 PEM, its signature does not verify, or its key is not ECDSA P-256. */
  BadCsr: 400,
  RequestTooLarge: 413,
  NotFound: 404,
  MethodNotAllowed: 405,
  /** The issuer has no usable issuer certificate and key yet. */
  IssuerNotReady: 503,
  /** The API server could not be asked (TokenReview, pods); try again. */
  Unavailable: 503,
} as const;

export type IssuanceErrorCode = keyof typeof ISSUANCE_ERROR_STATUS;

export interface IssuanceError {
  readonly code: IssuanceErrorCode;
  readonly message: string;
}

const isErrorCode = (value: unknown): value is IssuanceErrorCode =>
  typeof value === 'string' && Object.hasOwn(ISSUANCE_ERROR_STATUS, value);

function text(obj: Readonly<Record<string, unknown>>, key: string, errors: ErrorSink, max: number) {
  const value = own(obj, key);
  if (typeof value !== 'string' || value === '') {
    errors.push({ path: key, message: `must be a non-empty string, got ${describeValue(value)}` });
    return undefined;
  }
  if (value.length > max) {
    errors.push({ path: key, message: `must be at most ${max} characters, got ${value.length}` });
    return undefined;
  }
  return value;
}

const PEM_CSR =
  /^-----BEGIN CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----\r?\n?$/;
const PEM_CERTS = /^(-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?)+$/;

/** Reads a request body (already parsed JSON). Never throws. */
export function readCertificateRequest(body: unknown): Result<CertificateRequest> {
  if (!isObject(body)) return fail([{ path: '', message: `must be an object, got ${describeValue(body)}` }]);
  const errors: FieldError[] = [];
  const namespace = text(body, 'namespace', errors, 63);
  if (namespace !== undefined && !isDns1123Label(namespace)) {
    errors.push({ path: 'namespace', message: `must be a namespace name, got ${describeValue(namespace)}` });
  }
  const serviceAccount = text(body, 'serviceAccount', errors, 253);
  if (serviceAccount !== undefined && !isDns1123Subdomain(serviceAccount)) {
    errors.push({
      path: 'serviceAccount',
      message: `must be a ServiceAccount name, got ${describeValue(serviceAccount)}`,
    });
  }
  const csr = text(body, 'csr', errors, MAX_ISSUANCE_REQUEST_BYTES);
  if (csr !== undefined && !PEM_CSR.test(csr)) {
    errors.push({ path: 'csr', message: 'must be one PEM CERTIFICATE REQUEST' });
  }
  for (const key of Object.keys(body)) {
    if (!['namespace', 'serviceAccount', 'csr'].includes(key)) {
      errors.push({ path: key, message: 'is not a field of a certificate request' });
    }
  }
  if (errors.length > 0 || namespace === undefined || serviceAccount === undefined || csr === undefined) {
    return fail(errors);
  }
  return ok({ namespace, serviceAccount, csr });
}

/** Reads a 200 answer (already parsed JSON); the PEM is checked for shape here and parsed by the caller. */
export function readCertificateResponse(body: unknown): Result<CertificateResponse> {
  if (!isObject(body)) return fail([{ path: '', message: `must be an object, got ${describeValue(body)}` }]);
  const errors: FieldError[] = [];
  const spiffeId = text(body, 'spiffeId', errors, 2048);
  const certificateChain = text(body, 'certificateChain', errors, MAX_ISSUANCE_RESPONSE_BYTES);
  const trustBundle = text(body, 'trustBundle', errors, MAX_ISSUANCE_RESPONSE_BYTES);
  for (const [key, value] of [
    ['certificateChain', certificateChain],
    ['trustBundle', trustBundle],
  ] as const) {
    if (value !== undefined && !PEM_CERTS.test(value)) {
      errors.push({ path: key, message: 'must be PEM CERTIFICATE blocks' });
    }
  }
  const notBefore = text(body, 'notBefore', errors, 64);
  const notAfter = text(body, 'notAfter', errors, 64);
  for (const [key, value] of [
    ['notBefore', notBefore],
    ['notAfter', notAfter],
  ] as const) {
    if (value !== undefined && Number.isNaN(Date.parse(value))) {
      errors.push({ path: key, message: `must be an ISO 8601 time, got ${describeValue(value)}` });
    }
  }
  if (
    errors.length > 0 ||
    spiffeId === undefined ||
    certificateChain === undefined ||
    trustBundle === undefined ||
    notBefore === undefined ||
    notAfter === undefined
  ) {
    return fail(errors);
  }
  return ok({ spiffeId, certificateChain, trustBundle, notBefore, notAfter });
}

/** Reads a refusal; anything that is not one becomes undefined (the caller then reports the HTTP status). */
export function readIssuanceError(body: unknown): IssuanceError | undefined {
  if (!isObject(body)) return undefined;
  const code = own(body, 'code');
  const message = own(body, 'message');
  if (!isErrorCode(code) || typeof message !== 'string') return undefined;
  return { code, message: message.slice(0, 1024) };
}
