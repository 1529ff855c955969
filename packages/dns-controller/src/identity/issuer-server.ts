/**
 * The issuer's HTTPS endpoint (TLS 1.3 only, its serving certificate from the mesh CA): `POST /v1/certificates`
 * of the issuance API (smi-types). Each request: the bearer token reviewed by the API server, the caller's node
 * found from it, that node's pods listed, the ServiceAccount checked against them, the CSR verified, and a
 * certificate signed with the SPIFFE ID as its only name. Every refusal is an IssuanceError with its status.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@nodemesh/kube-runtime';
import {
  type CertificateResponse,
  ISSUANCE_ERROR_STATUS,
  ISSUANCE_PATH,
  type IssuanceError,
  MAX_ISSUANCE_REQUEST_BYTES,
  readCertificateRequest,
  spiffeIdOf,
} from '@nodemesh/smi-types';
import {
  authorizeServiceAccount,
  callerOfReview,
  type IssuancePolicy,
  type NodePod,
  type ReviewedToken,
} from './authorize-issuance.js';
import type { IssuerMaterial } from './issuer-material.js';
import { csrPublicKey, signLeaf } from './sign-certificates.js';

export interface IssuerServerOptions {
  readonly host: string;
  readonly port: number;
  readonly policy: IssuancePolicy;
  readonly trustDomain: string;
  readonly certificateTtlMs: number;
  /** The issuer in use now; undefined while there is none (answers IssuerNotReady). */
  readonly material: () => IssuerMaterial | undefined;
  /** Asks the API server; throws when it cannot be asked. */
  readonly reviewToken: (token: string) => Promise<ReviewedToken>;
  /** The pods on a node; throws when the API server cannot be asked. */
  readonly nodePods: (nodeName: string) => Promise<readonly NodePod[]>;
  readonly onIssued: (identity: { namespace: string; serviceAccount: string; node: string }) => void;
  readonly onRefused: (error: IssuanceError) => void;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/**
 * Requests served at once; more wait for none and get 503 (the node-proxy retries with backoff). Each request
 * costs a TokenReview and a pod list: this bounds what a flood of requests can make the API server do.
 */
const MAX_IN_FLIGHT = 32;

export interface ServingCredentials {
  readonly keyPem: string;
  readonly certPem: string;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

class Refusal extends Error {
  constructor(readonly error: IssuanceError) {
    super(error.message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ISSUANCE_REQUEST_BYTES) {
        reject(
          new Refusal({
            code: 'RequestTooLarge',
            message: `the body is over ${MAX_ISSUANCE_REQUEST_BYTES} bytes`,
          }),
        );
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class IssuerServer {
  readonly #options: IssuerServerOptions;
  #server: Server | undefined;
  #inFlight = 0;

  constructor(options: IssuerServerOptions) {
    this.#options = options;
  }

  get port(): number | undefined {
    const address = this.#server?.address();
    return typeof address === 'object' && address !== null ? (address as AddressInfo).port : undefined;
  }

  /** Starts listening with these credentials, or swaps them in (new connections get them). */
  async serve(credentials: ServingCredentials): Promise<void> {
    const tls = { key: credentials.keyPem, cert: credentials.certPem, minVersion: 'TLSv1.3' as const };
    if (this.#server !== undefined) {
      this.#server.setSecureContext(tls);
      return;
    }
    const server = createServer(tls, (req, res) => {
      if (this.#inFlight >= MAX_IN_FLIGHT) {
        req.resume();
        const busy = { code: 'Unavailable', message: 'the issuer is busy; try again' } as const;
        this.#options.onRefused(busy);
        reply(res, ISSUANCE_ERROR_STATUS.Unavailable, busy);
        return;
      }
      this.#inFlight += 1;
      const done = () => {
        this.#inFlight -= 1;
      };
      this.#handle(req, res).then(done, (error: unknown) => {
        done();
        const refusal =
          error instanceof Refusal
            ? error.error
            : ({ code: 'Unavailable', message: 'internal error' } as const);
        if (!(error instanceof Refusal)) this.#options.logger.error('issuance failed', { error });
        this.#options.onRefused(refusal);
        if (!res.headersSent) reply(res, ISSUANCE_ERROR_STATUS[refusal.code], refusal);
      });
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    server.keepAliveTimeout = 5_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const o = this.#options;
    const path = (req.url ?? '/').split('?')[0];
    if (path !== ISSUANCE_PATH) {
      req.resume();
      throw new Refusal({ code: 'NotFound', message: `no such endpoint; POST ${ISSUANCE_PATH}` });
    }
    if (req.method !== 'POST') {
      req.resume();
      throw new Refusal({ code: 'MethodNotAllowed', message: `${ISSUANCE_PATH} takes POST` });
    }
    const auth = /^Bearer ([A-Za-z0-9._~+/=-]{1,8192})$/.exec(req.headers.authorization ?? '');
    const bodyText = await readBody(req);
    if (auth === null) throw new Refusal({ code: 'Unauthenticated', message: 'a bearer token is required' });
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      throw new Refusal({ code: 'BadRequest', message: 'the body is not JSON' });
    }
    const request = readCertificateRequest(body);
    if (!request.ok) {
      throw new Refusal({
        code: 'BadRequest',
        message: request.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; '),
      });
    }
    const material = o.material();
    if (material === undefined)
      throw new Refusal({ code: 'IssuerNotReady', message: 'the issuer has no CA yet' });

    const review = await o.reviewToken(auth[1] ?? '').catch((error: unknown) => {
      throw new Refusal({ code: 'Unavailable', message: `cannot review the token: ${String(error)}` });
    });
    const caller = callerOfReview(review, o.policy);
    if ('code' in caller) throw new Refusal(caller);
    const pods = await o.nodePods(caller.nodeName).catch((error: unknown) => {
      throw new Refusal({
        code: 'Unavailable',
        message: `cannot list the pods of node ${caller.nodeName}: ${String(error)}`,
      });
    });
    const refused = authorizeServiceAccount(caller, pods, request.value, o.policy);
    if (refused !== undefined) throw new Refusal(refused);
    const publicKey = await csrPublicKey(request.value.csr);
    if ('code' in publicKey) throw new Refusal(publicKey);

    const identity = { trustDomain: o.trustDomain, ...request.value };
    const spiffeId = spiffeIdOf(identity);
    const now = o.now?.() ?? new Date();
    const signed = await signLeaf(material, publicKey, { uris: [spiffeId] }, o.certificateTtlMs, now);
    const answer: CertificateResponse = {
      spiffeId,
      certificateChain: signed.chainPem,
      trustBundle: material.rootsPem,
      notBefore: signed.notBefore.toISOString(),
      notAfter: signed.notAfter.toISOString(),
    };
    o.onIssued({
      namespace: request.value.namespace,
      serviceAccount: request.value.serviceAccount,
      node: caller.nodeName,
    });
    o.logger.info('certificate issued', { spiffeId, node: caller.nodeName, notAfter: answer.notAfter });
    reply(res, 200, answer);
  }
}
