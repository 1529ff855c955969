/**
 * The mTLS mode contract (docs/mtls.md): how strictly calls to a Service must travel between node proxies
 * over mutual TLS, chosen mesh-wide, per Namespace or per Service, and resolved once by the dns-controller onto
 * the Service's shadow, where every node-proxy reads it. Pure.
 *
 * - `off`: calls to pods on other nodes go in plaintext, straight to the pod, as before mTLS.
 * - `permissive`: they go through the tunnel between node proxies when it can be used, in plaintext when it
 *   cannot (no certificate yet, the destination node has no tunnel), and plaintext calls are counted.
 * - `strict`: only through the tunnel; a call that cannot use it fails. The dns-controller admits traffic to the
 *   Service's pods only from node-proxy pods (a NetworkPolicy), so dialling a pod directly fails too.
 */
import { describeValue, type FieldError } from '../validation/index.js';

export type MtlsMode = 'off' | 'permissive' | 'strict';

export const MTLS_MODES: readonly MtlsMode[] = ['off', 'permissive', 'strict'];

/** The mesh-wide mode when none is configured. */
export const DEFAULT_MTLS_MODE: MtlsMode = 'permissive';

/** On a Namespace (every Service in it) or a Service (that one, winning over its Namespace): the mode. */
export const ANNOTATION_MTLS = 'nodemesh.io/mtls';

/** On a shadow Service: the mode the dns-controller resolved for its user Service. */
export const SHADOW_ANNOTATION_MTLS_MODE = 'nodemesh.io/mtls-mode';

export function isMtlsMode(value: unknown): value is MtlsMode {
  return value === 'off' || value === 'permissive' || value === 'strict';
}

/** Where a mode was chosen, for the error naming it. */
export type MtlsModeSource = 'Service' | 'Namespace';

export interface MtlsModeChoice {
  readonly mode: MtlsMode;
  /** An annotation that names no mode: reported (Warning Event on its object) and passed over. */
  readonly problems: readonly (FieldError & { readonly source: MtlsModeSource })[];
}

/**
 * The mode of one Service: its own annotation, else its Namespace's, else the mesh-wide mode. An annotation
 * that is not a mode is a problem and does not count (the next one down applies). Never throws.
 */
export function resolveMtlsMode(
  serviceAnnotation: unknown,
  namespaceAnnotation: unknown,
  meshDefault: MtlsMode,
): MtlsModeChoice {
  const problems: (FieldError & { source: MtlsModeSource })[] = [];
  const path = `metadata.annotations[${JSON.stringify(ANNOTATION_MTLS)}]`;
  const read = (value: unknown, source: MtlsModeSource): MtlsMode | undefined => {
    if (value === undefined) return undefined;
    if (isMtlsMode(value)) return value;
    problems.push({
      source,
      path,
      message: `must be one of ${MTLS_MODES.join(', ')}, got ${describeValue(value)}`,
    });
    return undefined;
  };
  const mode = read(serviceAnnotation, 'Service') ?? read(namespaceAnnotation, 'Namespace') ?? meshDefault;
  return { mode, problems };
}
