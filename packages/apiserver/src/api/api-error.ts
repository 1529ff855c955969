import type { JsonObject } from './kube-object.js';

/** The `reason` values of a Kubernetes Status that this server produces. */
export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Forbidden'
  | 'Expired'
  | 'Gone'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable';

const codeOf: Record<StatusReason, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  BadRequest: 400,
  Forbidden: 403,
  Expired: 410,
  Gone: 410,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  UnsupportedMediaType: 415,
  RequestEntityTooLarge: 413,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
};

/** One invalid field, as listed in `details.causes` of an Invalid Status. */
export interface StatusCause {
  field: string;
  message: string;
  reason?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/**
 * A failure that becomes a Kubernetes `Status` response. Handlers throw it; the HTTP shell maps it once.
 */
export class ApiError extends Error {
  readonly code: number;
  constructor(
    readonly reason: StatusReason,
    message: string,
    readonly details: StatusDetails = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = codeOf[reason];
  }

  toStatus(): JsonObject {
    return statusObject(this.code, this.reason, this.message, this.details);
  }
}

/** The Kubernetes `Status` object (kind Status, apiVersion v1) for a failure. */
export function statusObject(
  code: number,
  reason: string,
  message: string,
  details: StatusDetails = {},
): JsonObject {
  const status: JsonObject = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  const d: JsonObject = {};
  if (details.name !== undefined) d.name = details.name;
  if (details.group !== undefined) d.group = details.group;
  if (details.kind !== undefined) d.kind = details.kind;
  if (details.causes !== undefined) d.causes = details.causes.map((c) => ({ ...c }));
  if (details.retryAfterSeconds !== undefined) d.retryAfterSeconds = details.retryAfterSeconds;
  if (Object.keys(d).length > 0) status.details = d;
  return status;
}

/** A `Status` of success, as returned by delete of a collection or a cluster-scoped object. */
export function successStatus(details: StatusDetails = {}): JsonObject {
  const status: JsonObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  const d: JsonObject = {};
  if (details.name !== undefined) d.name = details.name;
  if (details.group !== undefined) d.group = details.group;
  if (details.kind !== undefined) d.kind = details.kind;
  if (Object.keys(d).length > 0) status.details = d;
  return status;
}

export function notFound(resource: string, group: string, name: string): ApiError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new ApiError('NotFound', `${qualified} "${name}" not found`, { name, group, kind: resource });
}

export function alreadyExists(resource: string, group: string, name: string): ApiError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new ApiError('AlreadyExists', `${qualified} "${name}" already exists`, {
    name,
    group,
    kind: resource,
  });
}

export function conflict(resource: string, group: string, name: string, why: string): ApiError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new ApiError('Conflict', `Operation cannot be fulfilled on ${qualified} "${name}": ${why}`, {
    name,
    group,
    kind: resource,
  });
}

/** 422 Invalid, with one cause per bad field, worded like the real server. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const qualified = group ? `${kind}.${group}` : kind;
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const summary = causes.length === 1 ? list : `[${list}]`;
  return new ApiError('Invalid', `${qualified} "${name}" is invalid: ${summary}`, {
    name,
    group,
    kind,
    causes: causes.map((c) => ({
      reason: c.reason ?? 'FieldValueInvalid',
      message: c.message,
      field: c.field,
    })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError('BadRequest', message);
}
