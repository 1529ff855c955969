/**
 * The `coredns-custom` ConfigMap (AKS, k3s): CoreDNS imports every `*.server` entry as extra server
 * blocks, and the add-on manager leaves this ConfigMap alone while it resets the main Corefile.
 */

import { renderMeshServerBlock } from './corefile.js';
import type { MeshForwardTarget } from './forward-target.js';

/** The data key Nodemesh owns in `coredns-custom`. */
export const CUSTOM_SERVER_KEY = 'nodemesh.server';

/** The entry's value: the same server block as in a Corefile, without markers (the key is ours). */
export function renderCustomServerEntry(target: MeshForwardTarget): string {
  return renderMeshServerBlock(target);
}
