/**
 * The outcome of validating something that came from outside (the API server, a flag, an annotation):
 * either the typed value, or every problem found, each with the path of the field it concerns.
 */

/** One problem with one field, e.g. `spec.backends[1].weight: must be a non-negative integer, got "ten"`. */
export interface FieldError {
  /** Dotted path with [index] for list items, e.g. `spec.backends[1].weight`; empty for the whole object. */
  readonly path: string;
  /** What is wrong, written for a person, e.g. `must be a non-negative integer, got "ten"`. */
  readonly message: string;
}

export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(errors: readonly FieldError[]): Result<T> {
  return { ok: false, errors };
}

/** `path: message`, or just the message for the root. */
export function formatFieldError(error: FieldError): string {
  return error.path === '' ? error.message : `${error.path}: ${error.message}`;
}

/** Every error on its own line, for logs and Kubernetes Events. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map(formatFieldError).join('\n');
}
