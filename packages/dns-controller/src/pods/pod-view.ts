/**
 * The part of a Pod the ServiceAccount index needs: where it is, its labels, the ServiceAccount it runs as,
 * and whether it still counts (every phase but Succeeded and Failed). Read from whatever the informer hands
 * over; pure, never throws.
 */
import { type FieldSelection, isRecord } from '@nodemesh/kube-runtime';
import { effectiveServiceAccount, isDns1123Subdomain } from '@nodemesh/smi-types';

export interface PodView {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `spec.serviceAccountName`, `default` when empty. */
  readonly serviceAccount: string;
  /** False once the pod has finished (phase Succeeded or Failed): its ServiceAccount no longer counts. */
  readonly active: boolean;
}

const FINISHED_PHASES: readonly unknown[] = ['Succeeded', 'Failed'];

/** The fields of a Pod `readPodView` reads: all the pods informer keeps of every Pod of the cluster. */
export const POD_VIEW_FIELDS: FieldSelection = {
  metadata: { labels: true },
  spec: { serviceAccountName: true, serviceAccount: true },
  status: { phase: true },
};

/** The view of a Pod object, or undefined when it has no namespace or name or holds values no Pod can hold. */
export function readPodView(obj: unknown): PodView | undefined {
  if (!isRecord(obj) || !isRecord(obj.metadata)) return undefined;
  const { namespace, name } = obj.metadata;
  if (typeof namespace !== 'string' || namespace === '' || typeof name !== 'string' || name === '') {
    return undefined;
  }
  const labels: Record<string, string> = {};
  const rawLabels = obj.metadata.labels;
  if (rawLabels !== undefined && rawLabels !== null) {
    if (!isRecord(rawLabels)) return undefined;
    for (const [key, value] of Object.entries(rawLabels)) {
      if (typeof value !== 'string') return undefined;
      labels[key] = value;
    }
  }
  const spec = isRecord(obj.spec) ? obj.spec : {};
  // `serviceAccount` is the deprecated alias Kubernetes still fills in; serviceAccountName wins.
  const named = [spec.serviceAccountName, spec.serviceAccount].find((v) => typeof v === 'string' && v !== '');
  const serviceAccount = effectiveServiceAccount(typeof named === 'string' ? named : undefined);
  if (!isDns1123Subdomain(serviceAccount)) return undefined;
  const phase = isRecord(obj.status) ? obj.status.phase : undefined;
  return { namespace, name, labels, serviceAccount, active: !FINISHED_PHASES.includes(phase) };
}
