/**
 * The runner's way to the API server. The runner sits in a namespace holding only loopback, so it cannot
 * open a socket to the control plane itself: every call is `curl` (or `kubectl`) run inside the control
 * namespace, bounded in time like every harness client.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CommandResult, runIn } from '../../harness/index.js';

/** An API answer: the HTTP status and the body read as JSON (undefined when it is not JSON). */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export type PatchType = 'merge' | 'strategic' | 'json';

const PATCH_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export class ApiClient {
  private kubeconfig: string | undefined;

  /** `ns`: where the clients run; `url`: the API server as seen from there. */
  constructor(
    readonly ns: string,
    readonly url: string,
    private readonly workDir: string,
  ) {}

  /** One HTTP call; a status of 0 means no answer (refused, timed out). Never throws. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<ApiAnswer> {
    const args = ['-sS', '--noproxy', '*', '--max-time', '5', '-X', method, '-w', '\n%{http_code}'];
    if (body !== undefined) args.push('-H', `content-type: ${contentType}`, '--data-binary', '@-');
    const result = await runIn(this.ns, 'curl', [...args, `${this.url}${path}`], {
      timeoutMs: 8_000,
      ...(body === undefined ? {} : { input: JSON.stringify(body) }),
    });
    const cut = result.stdout.lastIndexOf('\n');
    const text = cut < 0 ? '' : result.stdout.slice(0, cut);
    const status = result.code === 0 ? Number(result.stdout.slice(cut + 1)) || 0 : 0;
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status, body: parsed, text: text || result.stderr };
  }

  get(path: string): Promise<ApiAnswer> {
    return this.request('GET', path);
  }

  /** Creates an object; throws unless the API server answers 201 (or 200). */
  async create(collectionPath: string, object: unknown): Promise<unknown> {
    return this.must('POST', collectionPath, object);
  }

  async patch(path: string, patch: unknown, type: PatchType = 'merge'): Promise<unknown> {
    return this.must('PATCH', path, patch, PATCH_TYPES[type]);
  }

  async delete(path: string): Promise<unknown> {
    return this.must('DELETE', path);
  }

  /** POST to one of the API server's fault endpoints (`drop-watches`, `restart?keepState=true`). */
  async fault(action: string): Promise<ApiAnswer> {
    return this.request('POST', `/_nodemesh/faults/${action}`);
  }

  /** `kubectl <args>` inside the control namespace against this API server, with `input` on stdin. */
  async kubectl(args: readonly string[], input?: string): Promise<CommandResult> {
    if (this.kubeconfig === undefined) {
      const file = join(this.workDir, 'kubeconfig');
      await writeFile(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{name: e2e, cluster: {server: "URL"}}]'.replace('URL', this.url),
          'users: [{name: e2e, user: {}}]',
          'contexts: [{name: e2e, context: {cluster: e2e, user: e2e}}]',
          'current-context: e2e',
          '',
        ].join('\n'),
      );
      this.kubeconfig = file;
    }
    const base = ['--kubeconfig', this.kubeconfig, '--cache-dir', join(this.workDir, 'kube-cache')];
    return runIn(this.ns, 'kubectl', [...base, ...args], {
      timeoutMs: 20_000,
      ...(input === undefined ? {} : { input }),
    });
  }

  private async must(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const answer = await this.request(method, path, body, contentType);
    if (answer.status < 200 || answer.status >= 300) {
      throw new Error(`${method} ${path}: ${answer.status || 'no answer'} ${answer.text.slice(0, 500)}`);
    }
    return answer.body;
  }
}
