import { existsSync } from 'node:fs';
import { inClusterConnection, type KubeConnection, serverConnection } from './kube-connection.js';

export interface LoadKubeConfigOptions {
  /**
   * A plain API server URL (`http://127.0.0.1:8080`): local mode, no credentials. Used against the in-memory
   * API server and `kubectl proxy`.
   */
  readonly server?: string;
  /** Path to a kubeconfig file; its current context is used. */
  readonly kubeconfig?: string;
  /** The environment to look at for in-cluster detection; `process.env` by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the service-account token lives; overridable for tests. */
  readonly serviceAccountTokenPath?: string;
  /** Where the cluster's CA certificate lives; overridable for tests. */
  readonly serviceAccountCaPath?: string;
}

/** Where a KubeConfig came from, for the startup log line. */
export type KubeConfigSource = 'server' | 'kubeconfig' | 'in-cluster';

export interface LoadedKubeConfig {
  readonly config: KubeConnection;
  readonly source: KubeConfigSource;
  /** The API server URL (never credentials), for logging. */
  readonly server: string;
}

const serviceAccountToken = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const serviceAccountCa = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

/**
 * Picks the API server connection: an explicit `server` wins, then an explicit `kubeconfig` file, then the
 * in-cluster service account when running in a pod. Throws an Error naming the problem when none applies or
 * the input is malformed: this runs once at startup, where failing loudly is right. Only a kubeconfig file
 * loads the Kubernetes client (for its auth plugins); the other two are served without it.
 */
export async function loadKubeConfig(options: LoadKubeConfigOptions = {}): Promise<LoadedKubeConfig> {
  if (options.server !== undefined) {
    const server = parseServerUrl(options.server);
    return { config: serverConnection(server), source: 'server', server };
  }
  if (options.kubeconfig !== undefined) {
    if (!existsSync(options.kubeconfig)) {
      throw new Error(`kubeconfig: file ${JSON.stringify(options.kubeconfig)} does not exist`);
    }
    const { KubeConfig } = await import('@kubernetes/client-node');
    const config = new KubeConfig();
    config.loadFromFile(options.kubeconfig);
    const cluster = config.getCurrentCluster();
    if (cluster === null) {
      throw new Error(
        `kubeconfig: ${JSON.stringify(options.kubeconfig)} has no current context with a cluster`,
      );
    }
    return { config, source: 'kubeconfig', server: cluster.server };
  }
  const env = options.env ?? process.env;
  const tokenPath = options.serviceAccountTokenPath ?? serviceAccountToken;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (host && port && existsSync(tokenPath)) {
    const config = inClusterConnection({
      host,
      port,
      tokenPath,
      caPath: options.serviceAccountCaPath ?? serviceAccountCa,
    });
    return { config, source: 'in-cluster', server: config.getCurrentCluster()?.server ?? '' };
  }
  throw new Error(
    'kube config: not running in a pod (KUBERNETES_SERVICE_HOST or the service-account token is missing); ' +
      'pass --server <url> or --kubeconfig <file>',
  );
}

/** Accepts only http(s) URLs without credentials or a path, and returns them without a trailing slash. */
export function parseServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`server: must be a URL like http://127.0.0.1:8080, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`server: must use http or https, got ${JSON.stringify(url.protocol)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error('server: must not carry credentials in the URL');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new Error(`server: must not have a query or fragment, got ${JSON.stringify(raw)}`);
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}
