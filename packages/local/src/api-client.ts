/**
 * The few API calls local mode makes to seed its cluster: create-or-replace of an object, and its status.
 * Plain fetch against the in-memory API server; the components themselves use their informers.
 */
export interface KubeObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'CustomResourceDefinition']);

/** The collection URL path of an object, e.g. `/api/v1/namespaces/default/services`. */
export function collectionPath(object: KubeObjectRef): string {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const plural = pluralOf(object.kind);
  if (CLUSTER_SCOPED.has(object.kind)) return `${base}/${plural}`;
  return `${base}/namespaces/${object.metadata.namespace ?? 'default'}/${plural}`;
}

function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** Creates the object, or replaces it when it exists; throws with the API server's message on failure. */
export async function applyObject(server: string, object: KubeObjectRef): Promise<void> {
  const collection = `${server}${collectionPath(object)}`;
  const body = JSON.stringify(object);
  const headers = { 'content-type': 'application/json' };
  const created = await fetch(collection, { method: 'POST', headers, body });
  if (created.ok) return;
  if (created.status !== 409) throw new Error(await failure(created, object));
  const item = `${collection}/${object.metadata.name}`;
  const current = (await (await fetch(item)).json()) as { metadata?: { resourceVersion?: string } };
  const replaced = await fetch(item, {
    method: 'PUT',
    headers,
    body: JSON.stringify({
      ...object,
      metadata: { ...object.metadata, resourceVersion: current.metadata?.resourceVersion },
    }),
  });
  if (!replaced.ok) throw new Error(await failure(replaced, object));
}

/** Writes an object's status subresource (pods: there is no kubelet to do it). */
export async function putStatus(server: string, object: KubeObjectRef & { status: unknown }): Promise<void> {
  const item = `${server}${collectionPath(object)}/${object.metadata.name}`;
  const current = (await (await fetch(item)).json()) as Record<string, unknown>;
  const response = await fetch(`${item}/status`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...current, status: object.status }),
  });
  if (!response.ok) throw new Error(await failure(response, object));
}

async function failure(response: Response, object: KubeObjectRef): Promise<string> {
  let message = response.statusText;
  try {
    const status = (await response.json()) as { message?: string };
    message = status.message ?? message;
  } catch {
    // not a Status object
  }
  return `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}: ${response.status} ${message}`;
}
