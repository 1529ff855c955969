/**
 * Local mode's stand-in for the kubelet's projected ServiceAccount token: it asks the API server for a token
 * of the node-proxy's ServiceAccount (TokenRequest), bound to the node-proxy's Pod object and for the identity
 * issuer's audience, writes it to a file only this user can read, and renews it long before it expires, as
 * the kubelet does (at 80% of its life).
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_NODE_PROXY_SERVICE_ACCOUNT, IDENTITY_TOKEN_AUDIENCE } from '@nodemesh/smi-types';

const EXPIRATION_SECONDS = 3600;

export class ProjectedToken {
  #timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: string,
    private readonly namespace: string,
    private readonly pod: string,
    private readonly dir: string,
  ) {}

  /** The file the node-proxy reads (`--identity-token-file`). */
  get file(): string {
    return join(this.dir, 'token');
  }

  /** Makes the token's directory; the file exists once `start` has run. */
  static async prepare(server: string, namespace: string, pod: string): Promise<ProjectedToken> {
    return new ProjectedToken(server, namespace, pod, await mkdtemp(join(tmpdir(), 'nodemesh-local-token-')));
  }

  /** Writes the first token and keeps it fresh until `stop`. The Pod it is bound to must exist. */
  async start(): Promise<void> {
    await this.refresh();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async refresh(): Promise<void> {
    const path = `/api/v1/namespaces/${this.namespace}/serviceaccounts/${DEFAULT_NODE_PROXY_SERVICE_ACCOUNT}/token`;
    const response = await fetch(`${this.server}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: [IDENTITY_TOKEN_AUDIENCE],
          expirationSeconds: EXPIRATION_SECONDS,
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: this.pod },
        },
      }),
    });
    const body = (await response.json()) as { status?: { token?: string }; message?: string };
    const token = body.status?.token;
    if (!response.ok || token === undefined) {
      throw new Error(`TokenRequest for the node-proxy: ${response.status} ${body.message ?? ''}`.trim());
    }
    // Written whole, then renamed: the node-proxy never reads half a token.
    const next = `${this.file}.next`;
    await writeFile(next, token, { mode: 0o600 });
    await rename(next, this.file);
    this.#timer = setTimeout(() => {
      this.refresh().catch((error: unknown) =>
        process.stderr.write(`[local] token refresh failed: ${String(error)}\n`),
      );
    }, EXPIRATION_SECONDS * 800);
    this.#timer.unref();
  }
}
