/** The labels that mark a shadow Service and name its user Service, and the selector of the node-proxies. */
import {
  LABEL_COMPONENT,
  LABEL_MANAGED_BY,
  LABEL_MANAGED_BY_VALUE,
  LABEL_PART_OF,
  LABEL_PART_OF_VALUE,
  LABEL_SHADOW_OF_NAME,
  LABEL_SHADOW_OF_NAMESPACE,
  NODE_PROXY_COMPONENT,
  type ShadowOf,
} from './contract.js';

/**
 * Labels of the shadow of `of`. Namespace and name are DNS labels of at most 63 characters, so each fits
 * a label value as it is.
 */
export function shadowLabels(of: ShadowOf): Record<string, string> {
  return {
    [LABEL_PART_OF]: LABEL_PART_OF_VALUE,
    [LABEL_MANAGED_BY]: LABEL_MANAGED_BY_VALUE,
    [LABEL_SHADOW_OF_NAMESPACE]: of.namespace,
    [LABEL_SHADOW_OF_NAME]: of.name,
  };
}

/** A label selector (`a=b,c=d`) that lists every shadow Service, for list and watch calls. */
export function shadowListSelector(): string {
  return `${LABEL_PART_OF}=${LABEL_PART_OF_VALUE},${LABEL_SHADOW_OF_NAMESPACE},${LABEL_SHADOW_OF_NAME}`;
}

/** The pod selector of every shadow Service: the node-proxy pods. */
export function shadowSelectorForProxies(): Record<string, string> {
  return { [LABEL_COMPONENT]: NODE_PROXY_COMPONENT, [LABEL_PART_OF]: LABEL_PART_OF_VALUE };
}

/** The user Service a shadow stands for, or undefined when the labels are not those of a shadow. */
export function shadowOfFromLabels(labels: unknown): ShadowOf | undefined {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return undefined;
  const map = labels as Readonly<Record<string, unknown>>;
  const namespace = map[LABEL_SHADOW_OF_NAMESPACE];
  const name = map[LABEL_SHADOW_OF_NAME];
  if (map[LABEL_PART_OF] !== LABEL_PART_OF_VALUE) return undefined;
  if (typeof namespace !== 'string' || namespace === '' || typeof name !== 'string' || name === '')
    return undefined;
  return { namespace, name };
}
