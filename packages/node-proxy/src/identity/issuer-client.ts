/**
 * Asks the issuer for one certificate (the issuance API of smi-types) over TLS 1.3, trusting only the
 * published trust bundle and checking the issuer's Service name whatever address is dialled. The projected
 * token is read from its file on every request, since the kubelet rotates it.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import {
  type CertificateRequest,
  type CertificateResponse,
  ISSUANCE_PATH,
  type IssuanceError,
  MAX_ISSUANCE_RESPONSE_BYTES,
  readCertificateResponse,
  readIssuanceError,
} from '@nodemesh/smi-types';

export interface IssuerClientOptions {
  /** `https://host:port`. */
  readonly url: string;
  /** The DNS name the issuer's certificate must carry. */
  readonly serverName: string;
  readonly tokenFile: string;
  readonly timeoutMs?: number;
}

/** What came of one request: a certificate, a refusal by the issuer, or no answer at all. */
export type IssueOutcome =
  | { readonly kind: 'issued'; readonly response: CertificateResponse }
  | { readonly kind: 'refused'; readonly error: IssuanceError; readonly status: number }
  | { readonly kind: 'unreachable'; readonly message: string };

export class IssuerClient {
  readonly #o: IssuerClientOptions;
  readonly #url: URL;

  constructor(options: IssuerClientOptions) {
    this.#o = options;
    this.#url = new URL(ISSUANCE_PATH, options.url);
  }

  async issue(body: CertificateRequest, trustBundlePem: string): Promise<IssueOutcome> {
    let token: string;
    try {
      token = (await readFile(this.#o.tokenFile, 'utf8')).trim();
    } catch (error) {
      return {
        kind: 'unreachable',
        message: `cannot read the token file ${this.#o.tokenFile}: ${String(error)}`,
      };
    }
    const payload = Buffer.from(JSON.stringify(body));
    const answer = await new Promise<{ status: number; text: string } | { error: string }>((resolve) => {
      const req = request(
        this.#url,
        {
          method: 'POST',
          ca: trustBundlePem,
          servername: this.#o.serverName,
          minVersion: 'TLSv1.3',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': payload.length,
          },
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ISSUANCE_RESPONSE_BYTES) req.destroy(new Error('the answer is too large'));
            else chunks.push(chunk);
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (error) => resolve({ error: error.message }));
        },
      );
      req.setTimeout(this.#o.timeoutMs ?? 10_000, () => req.destroy(new Error('timed out')));
      req.on('error', (error) => resolve({ error: error.message }));
      req.end(payload);
    });
    if ('error' in answer) return { kind: 'unreachable', message: answer.error };
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      parsed = undefined;
    }
    if (answer.status === 200) {
      const read = readCertificateResponse(parsed);
      if (read.ok) return { kind: 'issued', response: read.value };
      return {
        kind: 'unreachable',
        message: 'the issuer answered 200 with something that is not a certificate',
      };
    }
    const error = readIssuanceError(parsed);
    if (error === undefined || error.code === 'Unavailable' || error.code === 'IssuerNotReady') {
      return { kind: 'unreachable', message: error?.message ?? `the issuer answered HTTP ${answer.status}` };
    }
    return { kind: 'refused', error, status: answer.status };
  }
}
