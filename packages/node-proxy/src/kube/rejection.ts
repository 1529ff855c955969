/**
 * A resource the node-proxy could not use, said once per version: the shell logs it and records a Warning
 * Event on the object, and the object's last good version stays in effect.
 */
import type { ObjectReference } from '@nodemesh/kube-runtime';
import { type FieldError, formatFieldErrors } from '@nodemesh/smi-types';

export interface Rejection {
  readonly object: ObjectReference;
  /** UpperCamelCase Event reason: `InvalidService`, `InvalidAnnotations`, `InvalidTrafficSplit`, ... */
  readonly reason: string;
  /** One line: what was wrong (with field paths) and what the proxy does instead. */
  readonly message: string;
}

/** Receives rejections as the assembler finds them. */
export type RejectionSink = (rejection: Rejection) => void;

/** `spec.x: must be ...; spec.y: must be ...`: one line, so it fits an Event message and a log field. */
export function oneLine(errors: readonly FieldError[]): string {
  return formatFieldErrors(errors).split('\n').join('; ');
}
