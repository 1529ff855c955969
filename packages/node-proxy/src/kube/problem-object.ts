/**
 * The object a snapshot problem's Warning Event is recorded on, with the apiVersion and kind the proxy
 * watches it in, so `kubectl describe traffictarget ...` (or trafficsplit, httproutegroup, service) shows it.
 */
import type { ObjectReference } from '@nodemesh/kube-runtime';
import type { Problem } from '../snapshot/snapshot.js';
import { SMI_COLLECTIONS } from './smi-kinds.js';

export function problemObject(problem: Problem): ObjectReference {
  const collection = SMI_COLLECTIONS.find((c) => c.kind === problem.kind);
  const apiVersion = collection === undefined ? 'v1' : `${collection.group}/${collection.version}`;
  return {
    apiVersion,
    kind: problem.kind,
    namespace: problem.namespace,
    name: problem.name,
    ...(problem.uid === undefined ? {} : { uid: problem.uid }),
  };
}
