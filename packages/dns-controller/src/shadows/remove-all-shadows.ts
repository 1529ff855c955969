/** `cleanup`: deletes every shadow Service in the mesh namespace (found by the shadow labels, not by name). */
import { shadowListSelector } from '@nodemesh/smi-types';
import { type KubeApi, servicePath } from '../kube/kube-api.js';

/** Returns the names deleted. Throws on API failures other than 404. */
export async function removeAllShadows(api: KubeApi, meshNamespace: string): Promise<string[]> {
  const shadows = await api.list(servicePath(meshNamespace), shadowListSelector());
  const names: string[] = [];
  for (const shadow of shadows) {
    const metadata =
      typeof shadow === 'object' && shadow !== null ? (shadow as { metadata?: unknown }).metadata : {};
    const name =
      typeof metadata === 'object' && metadata !== null ? (metadata as { name?: unknown }).name : undefined;
    if (typeof name !== 'string' || name === '') continue;
    await api.delete(servicePath(meshNamespace, name));
    names.push(name);
  }
  return names;
}
