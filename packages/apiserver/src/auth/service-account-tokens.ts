/**
 * ServiceAccount tokens as Kubernetes 1.30+ makes them: the TokenRequest subresource
 * (`POST .../serviceaccounts/<name>/token`) signs a token for audiences, bound to a pod when asked, and
 * TokenReview (`POST /apis/authentication.k8s.io/v1/tokenreviews`) checks one: signature, time, audience, and
 * that the ServiceAccount and the bound pod still exist with the uid the token names. A bound token's review
 * carries the pod's name and uid and its node's name (and uid, when the Node exists) in `user.extra`.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, badRequest, conflict, invalid, notFound } from '../api/api-error.js';
import { isRecord, type JsonObject, type KubeObject } from '../api/kube-object.js';
import type { ObjectApi } from '../api/object-api.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import type { JwtClaims, JwtSigner } from './jwt.js';

/** The audience (and issuer) of tokens asked for without one: the API server itself. */
export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
const DEFAULT_EXPIRATION_SECONDS = 3600;
/** The real server refuses shorter tokens. */
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

export interface TokenContext {
  readonly api: ObjectApi;
  readonly registry: ResourceRegistry;
  readonly signer: JwtSigner;
  /** Seconds since the epoch. */
  readonly now: () => number;
}

interface BoundPod {
  readonly name: string;
  readonly uid: string;
  readonly node?: { readonly name: string; readonly uid?: string };
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

function find(ctx: TokenContext, plural: string, namespace: string | undefined, name: string) {
  const type = ctx.registry.find('', 'v1', plural);
  if (type === undefined) throw new ApiError('InternalError', `${plural} are not served`);
  try {
    return ctx.api.get(type, namespace, name);
  } catch (error) {
    if (error instanceof ApiError && error.code === 404) return undefined;
    throw error;
  }
}

/** TokenRequest: answers the request with `status.token` and `status.expirationTimestamp` set. */
export function requestToken(
  ctx: TokenContext,
  namespace: string,
  serviceAccountName: string,
  body: unknown,
): JsonObject {
  if (!isRecord(body)) throw badRequest('the body must be a TokenRequest object');
  const serviceAccount = find(ctx, 'serviceaccounts', namespace, serviceAccountName);
  if (serviceAccount === undefined) throw notFound('serviceaccounts', '', serviceAccountName);
  const spec = isRecord(body.spec) ? body.spec : {};
  const audiences = Array.isArray(spec.audiences) ? spec.audiences : [];
  if (!audiences.every((a) => typeof a === 'string' && a !== '')) {
    throw invalid('TokenRequest', 'authentication.k8s.io', serviceAccountName, [
      { field: 'spec.audiences', message: 'must be a list of non-empty strings' },
    ]);
  }
  const expiration = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (
    typeof expiration !== 'number' ||
    !Number.isInteger(expiration) ||
    expiration < MIN_EXPIRATION_SECONDS ||
    expiration > MAX_EXPIRATION_SECONDS
  ) {
    throw invalid('TokenRequest', 'authentication.k8s.io', serviceAccountName, [
      {
        field: 'spec.expirationSeconds',
        message: `may not specify a duration less than ${MIN_EXPIRATION_SECONDS} seconds`,
      },
    ]);
  }
  const bound = boundPodOf(ctx, namespace, serviceAccountName, spec.boundObjectRef);
  const now = ctx.now();
  const exp = now + expiration;
  const claims: JwtClaims = {
    aud: audiences.length > 0 ? audiences : [API_AUDIENCE],
    exp,
    iat: now,
    nbf: now,
    iss: API_AUDIENCE,
    jti: randomUUID(),
    sub: `system:serviceaccount:${namespace}:${serviceAccountName}`,
    'kubernetes.io': {
      namespace,
      serviceaccount: { name: serviceAccountName, uid: serviceAccount.metadata.uid ?? '' },
      ...(bound === undefined
        ? {}
        : {
            pod: { name: bound.name, uid: bound.uid },
            ...(bound.node === undefined ? {} : { node: bound.node }),
          }),
    },
  };
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name: serviceAccountName, namespace, creationTimestamp: null },
    spec: {
      audiences: claims.aud as string[],
      expirationSeconds: expiration,
      boundObjectRef: isRecord(spec.boundObjectRef) ? (spec.boundObjectRef as JsonObject) : null,
    },
    status: { token: ctx.signer.sign(claims), expirationTimestamp: new Date(exp * 1000).toISOString() },
  };
}

function boundPodOf(
  ctx: TokenContext,
  namespace: string,
  serviceAccountName: string,
  ref: unknown,
): BoundPod | undefined {
  if (ref === undefined || ref === null) return undefined;
  if (!isRecord(ref) || ref.kind !== 'Pod' || str(ref.name) === undefined) {
    throw badRequest(
      'boundObjectRef must name a Pod (kind Pod and a name); other kinds are not supported here',
    );
  }
  const name = str(ref.name) ?? '';
  const pod = find(ctx, 'pods', namespace, name);
  if (pod === undefined) throw notFound('pods', '', name);
  const uid = pod.metadata.uid ?? '';
  if (str(ref.uid) !== undefined && ref.uid !== uid) {
    throw conflict(
      'pods',
      '',
      name,
      `the UID in the bound object reference (${String(ref.uid)}) does not match the UID in record`,
    );
  }
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const podAccount = str(spec.serviceAccountName) ?? str(spec.serviceAccount) ?? 'default';
  if (podAccount !== serviceAccountName) {
    throw badRequest(
      `cannot bind token for serviceaccount "${serviceAccountName}" to pod running with different serviceaccount name.`,
    );
  }
  const nodeName = str(spec.nodeName);
  if (nodeName === undefined) return { name, uid };
  const nodeUid = find(ctx, 'nodes', undefined, nodeName)?.metadata.uid;
  return { name, uid, node: nodeUid === undefined ? { name: nodeName } : { name: nodeName, uid: nodeUid } };
}

/** TokenReview: the review with its status filled in (a refused token is a 201 with authenticated false). */
export function reviewToken(ctx: TokenContext, body: unknown): JsonObject {
  if (!isRecord(body) || !isRecord(body.spec) || typeof body.spec.token !== 'string') {
    throw invalid('TokenReview', 'authentication.k8s.io', '', [
      { field: 'spec.token', message: 'Required value' },
    ]);
  }
  const wanted = Array.isArray(body.spec.audiences)
    ? body.spec.audiences.filter((a): a is string => typeof a === 'string')
    : [];
  const review = (status: JsonObject): JsonObject => ({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    metadata: { creationTimestamp: null },
    spec: { token: body.spec && isRecord(body.spec) ? String(body.spec.token) : '', audiences: wanted },
    status,
  });
  const checked = checkToken(ctx, body.spec.token, wanted.length > 0 ? wanted : [API_AUDIENCE]);
  if (!checked.ok) {
    return review({ authenticated: false, user: {}, error: `[invalid bearer token, ${checked.error}]` });
  }
  return review({ authenticated: true, user: checked.user, audiences: checked.audiences });
}

type Checked = { ok: true; user: JsonObject; audiences: string[] } | { ok: false; error: string };

function checkToken(ctx: TokenContext, token: string, wanted: readonly string[]): Checked {
  const verified = ctx.signer.verify(token);
  if (!verified.ok) return { ok: false, error: verified.error };
  const { claims } = verified;
  const now = ctx.now();
  if (typeof claims.exp !== 'number' || claims.exp <= now) return { ok: false, error: 'token has expired' };
  if (typeof claims.nbf === 'number' && claims.nbf > now + 60)
    return { ok: false, error: 'token not yet valid' };
  const audiences = Array.isArray(claims.aud) ? claims.aud.filter((a) => typeof a === 'string') : [];
  const matching = audiences.filter((a) => wanted.includes(a));
  if (matching.length === 0) {
    return {
      ok: false,
      error: `token audiences ${JSON.stringify(audiences)} is invalid for the target audiences ${JSON.stringify(wanted)}`,
    };
  }
  const kube = isRecord(claims['kubernetes.io']) ? claims['kubernetes.io'] : {};
  const namespace = str(kube.namespace);
  const account = isRecord(kube.serviceaccount) ? kube.serviceaccount : {};
  const accountName = str(account.name);
  if (namespace === undefined || accountName === undefined)
    return { ok: false, error: 'not a ServiceAccount token' };
  const serviceAccount = find(ctx, 'serviceaccounts', namespace, accountName);
  if (serviceAccount === undefined || serviceAccount.metadata.uid !== account.uid) {
    return { ok: false, error: `serviceaccounts "${accountName}" not found` };
  }
  const extra: Record<string, string[]> = {};
  if (isRecord(kube.pod)) {
    const podName = str(kube.pod.name) ?? '';
    const pod: KubeObject | undefined = find(ctx, 'pods', namespace, podName);
    if (pod === undefined || pod.metadata.uid !== kube.pod.uid) {
      return { ok: false, error: `pods "${podName}" not found` };
    }
    extra['authentication.kubernetes.io/pod-name'] = [podName];
    extra['authentication.kubernetes.io/pod-uid'] = [String(kube.pod.uid)];
  }
  if (isRecord(kube.node)) {
    const nodeName = str(kube.node.name);
    if (nodeName !== undefined) extra['authentication.kubernetes.io/node-name'] = [nodeName];
    const nodeUid = str(kube.node.uid);
    if (nodeUid !== undefined) extra['authentication.kubernetes.io/node-uid'] = [nodeUid];
  }
  if (typeof claims.jti === 'string')
    extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
  return {
    ok: true,
    audiences: matching,
    user: {
      username: `system:serviceaccount:${namespace}:${accountName}`,
      uid: serviceAccount.metadata.uid ?? '',
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      extra,
    },
  };
}
