/**
 * Hook for the identity work (mTLS between node-proxies): once it lands, `nodemesh check` adds here the
 * checks of the mesh CA's roots and of every issued certificate, each with its time to expiry and a fix
 * (rotate, re-issue). Until then there is nothing to check and this returns no results.
 */
import type { CheckResult } from './check-result.js';
import type { MeshObservation } from './observation.js';

export function certificateChecks(_observation: MeshObservation): CheckResult[] {
  return [];
}
