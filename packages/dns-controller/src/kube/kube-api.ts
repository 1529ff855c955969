/**
 * The few API calls the dns-controller writes with (contract.md, "API calls it makes"): plain JSON over
 * HTTP(S) with the KubeConfig's credentials, so objects go to the server exactly as built (no client-side
 * model that drops fields). Requests go through kube-runtime's `requestJson`: errors are its ApiStatusError, with the HTTP status
 * (`statusOf` reads it) and the server's message.
 */
import { ApiStatusError, isRecord, type KubeConnection, requestJson } from '@nodemesh/kube-runtime';

/** What the controller needs from the API server; one implementation over HTTP, tests use the real thing. */
export interface KubeApi {
  /** The object, or undefined on 404. */
  get(path: string): Promise<unknown>;
  list(path: string, labelSelector?: string): Promise<unknown[]>;
  create(collectionPath: string, body: unknown): Promise<unknown>;
  replace(path: string, body: unknown): Promise<unknown>;
  /** A JSON merge patch (RFC 7386). */
  mergePatch(path: string, patch: unknown): Promise<unknown>;
  /** Deletes with a resourceVersion precondition when given (409 if it changed); 404 is not an error. */
  delete(path: string, resourceVersion?: string): Promise<void>;
}

export function servicePath(namespace: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export function secretPath(namespace: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export function configMapPath(namespace: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export function kubeApi(config: KubeConnection, timeoutMs = 30_000): KubeApi {
  const send = (method: string, path: string, body?: unknown, contentType?: string) =>
    requestJson(config, method, path, body, {
      timeoutMs,
      ...(contentType === undefined ? {} : { contentType }),
    });
  return {
    async get(path) {
      try {
        return await send('GET', path);
      } catch (error) {
        if (error instanceof ApiStatusError && error.statusCode === 404) return undefined;
        throw error;
      }
    },
    async list(path, labelSelector) {
      const query = labelSelector === undefined ? '' : `?labelSelector=${encodeURIComponent(labelSelector)}`;
      const list = await send('GET', `${path}${query}`);
      if (!isRecord(list) || !Array.isArray(list.items))
        throw new Error(`list ${path}: response has no items`);
      return list.items as unknown[];
    },
    create: (collectionPath, body) => send('POST', collectionPath, body),
    replace: (path, body) => send('PUT', path, body),
    mergePatch: (path, patch) => send('PATCH', path, patch, 'application/merge-patch+json'),
    async delete(path, resourceVersion) {
      const options =
        resourceVersion === undefined
          ? undefined
          : { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion } };
      try {
        await send('DELETE', path, options);
      } catch (error) {
        if (error instanceof ApiStatusError && error.statusCode === 404) return;
        throw error;
      }
    },
  };
}
