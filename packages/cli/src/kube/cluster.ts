/**
 * The API server of the current kubeconfig context, as kubectl finds it: `--kubeconfig`, else $KUBECONFIG,
 * else ~/.kube/config, else the in-cluster service account; `--context` picks a context; `--server` talks to
 * a plain URL with no credentials (local mode). Requests are plain JSON over HTTP(S) with the context's
 * credentials; answers are bounded in size and time and read as untrusted.
 */
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { CliError, EXIT_CLUSTER, EXIT_USAGE } from '../output/exit-codes.js';

export interface ClusterOptions {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  readonly server?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** An answer of the API server that was not 2xx. */
export class ApiAnswerError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiAnswerError';
  }
}

export interface RawAnswer {
  readonly status: number;
  readonly text: string;
}

export interface Cluster {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  /** The context's namespace, or `default`. */
  readonly defaultNamespace: string;
  /** Any request; never throws for an HTTP status, only when the server cannot be reached. */
  raw(method: string, path: string, body?: unknown, contentType?: string): Promise<RawAnswer>;
  /** GET as JSON; throws ApiAnswerError unless 2xx. */
  get(path: string): Promise<unknown>;
  /** GET as JSON; undefined on 404. */
  find(path: string): Promise<unknown>;
  /** The items of a list, with an optional label and field selector. */
  list(path: string, selectors?: { label?: string; field?: string }): Promise<unknown[]>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;
const TIMEOUT_MS = 30_000;

export function loadKubeConfig(options: ClusterOptions): KubeConfig {
  const env = options.env ?? process.env;
  const config = new KubeConfig();
  if (options.server !== undefined) {
    let url: URL;
    try {
      url = new URL(options.server);
    } catch {
      throw new CliError(
        `--server must be a URL like https://10.0.0.1:6443, got ${JSON.stringify(options.server)}`,
        EXIT_USAGE,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CliError(
        `--server must use http or https, got ${JSON.stringify(options.server)}`,
        EXIT_USAGE,
      );
    }
    const server = options.server.replace(/\/+$/, '');
    config.loadFromOptions({
      clusters: [{ name: 'server', server, skipTLSVerify: url.protocol === 'http:' }],
      users: [{ name: 'anonymous' }],
      contexts: [{ name: 'server', cluster: 'server', user: 'anonymous' }],
      currentContext: 'server',
    });
    return config;
  }
  const file = options.kubeconfig;
  try {
    if (file !== undefined) {
      if (!existsSync(file)) throw new CliError(`--kubeconfig: no file ${JSON.stringify(file)}`, EXIT_USAGE);
      config.loadFromFile(file);
    } else if (env.KUBECONFIG !== undefined && env.KUBECONFIG !== '') {
      config.loadFromDefault();
    } else if (existsSync(join(homedir(), '.kube', 'config'))) {
      config.loadFromDefault();
    } else if (env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_HOST !== '') {
      config.loadFromCluster();
    } else {
      throw new CliError(
        'no kubeconfig: pass --kubeconfig FILE or --server URL, set KUBECONFIG, or create ~/.kube/config',
        EXIT_CLUSTER,
      );
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `cannot read the kubeconfig: ${error instanceof Error ? error.message : String(error)}`,
      EXIT_CLUSTER,
    );
  }
  if (options.context !== undefined) {
    if (config.getContextObject(options.context) === null) {
      const known = config.getContexts().map((c) => c.name);
      throw new CliError(
        `--context: no context ${JSON.stringify(options.context)} (known: ${known.join(', ') || 'none'})`,
        EXIT_USAGE,
      );
    }
    config.setCurrentContext(options.context);
  }
  if (config.getCurrentCluster() === null) {
    throw new CliError('the kubeconfig has no current context with a cluster; pass --context', EXIT_CLUSTER);
  }
  // As kubectl does, a plain-http server is used as it is: client-node refuses it unless told there is no TLS.
  config.clusters = config.clusters.map((c) =>
    c.server.startsWith('http:') ? { ...c, skipTLSVerify: true } : c,
  );
  return config;
}

export function connectCluster(options: ClusterOptions): Cluster {
  const kubeConfig = loadKubeConfig(options);
  const server = (kubeConfig.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  const raw = (method: string, path: string, body?: unknown, contentType?: string) =>
    request(kubeConfig, server, method, path, body, contentType);
  const get = async (path: string): Promise<unknown> => {
    const answer = await raw('GET', path);
    return jsonOf(answer, 'GET', path);
  };
  return {
    kubeConfig,
    server,
    defaultNamespace: context?.namespace ?? 'default',
    raw,
    get,
    async find(path) {
      const answer = await raw('GET', path);
      if (answer.status === 404) return undefined;
      return jsonOf(answer, 'GET', path);
    },
    async list(path, selectors = {}) {
      const query = new URLSearchParams();
      if (selectors.label !== undefined) query.set('labelSelector', selectors.label);
      if (selectors.field !== undefined) query.set('fieldSelector', selectors.field);
      const suffix = query.size > 0 ? `?${query}` : '';
      const list = await get(`${path}${suffix}`);
      const items =
        typeof list === 'object' && list !== null ? (list as { items?: unknown }).items : undefined;
      if (!Array.isArray(items)) throw new CliError(`GET ${path}: the answer is not a list`, EXIT_CLUSTER);
      return items;
    },
  };
}

/** The parsed JSON of a 2xx answer, or an ApiAnswerError with the server's message. */
export function jsonOf(answer: RawAnswer, method: string, path: string): unknown {
  let parsed: unknown;
  try {
    parsed = answer.text === '' ? undefined : JSON.parse(answer.text);
  } catch {
    parsed = undefined;
  }
  if (answer.status >= 200 && answer.status < 300) return parsed;
  const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const reason = typeof record.reason === 'string' ? record.reason : undefined;
  const message = typeof record.message === 'string' ? record.message : answer.text.slice(0, 200);
  throw new ApiAnswerError(answer.status, reason, `${method} ${path}: HTTP ${answer.status}: ${message}`);
}

async function request(
  config: KubeConfig,
  server: string,
  method: string,
  path: string,
  body: unknown,
  contentType = 'application/json',
): Promise<RawAnswer> {
  const url = new URL(server + path);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const options: https.RequestOptions = {
    method,
    headers: {
      accept: 'application/json, */*',
      'user-agent': 'nodemesh-cli',
      ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': payload.length }),
    },
  };
  try {
    await config.applyToHTTPSOptions(options);
  } catch (error) {
    throw new CliError(
      `the kubeconfig's credentials cannot be used: ${error instanceof Error ? error.message : String(error)}`,
      EXIT_CLUSTER,
    );
  }
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<RawAnswer>((resolve, reject) => {
    const req = transport.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES)
          req.destroy(new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', (error) => reject(unreachable(server, error)));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (error) => reject(unreachable(server, error)));
    req.end(payload);
  });
}

function unreachable(server: string, error: Error): CliError {
  return new CliError(`cannot reach the API server ${server}: ${error.message}`, EXIT_CLUSTER);
}
