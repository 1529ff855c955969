import type { ResourceMeta } from './resource.js';

/** One named match of an HTTPRouteGroup. Every set field must hold (AND). */
export interface HTTPMatch {
  readonly name: string;
  /** A regular expression matched against the request path, anchored at the start. Absent: any path. */
  readonly pathRegex?: string;
  /** Upper-case HTTP methods; `['*']` or empty means any method. */
  readonly methods: readonly string[];
  /** Header name (lower-case) to a regular expression its value must match. */
  readonly headers: Readonly<Record<string, string>>;
}

/** specs.smi-spec.io HTTPRouteGroup (v1alpha3, v1alpha4). */
export interface HTTPRouteGroup extends ResourceMeta {
  readonly kind: 'HTTPRouteGroup';
  readonly matches: readonly HTTPMatch[];
}

/** One named port match of a TCPRoute or UDPRoute. Empty ports: any port. */
export interface PortMatch {
  readonly name: string;
  readonly ports: readonly number[];
}

/** specs.smi-spec.io TCPRoute (v1alpha3, v1alpha4). v1alpha3 has no matches: it means any port. */
export interface TCPRoute extends ResourceMeta {
  readonly kind: 'TCPRoute';
  readonly matches: readonly PortMatch[];
}

/** specs.smi-spec.io UDPRoute (v1alpha4). */
export interface UDPRoute extends ResourceMeta {
  readonly kind: 'UDPRoute';
  readonly matches: readonly PortMatch[];
}
