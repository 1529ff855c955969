/**
 * The HTTP side of the two token endpoints, which store nothing: `POST .../serviceaccounts/<name>/token`
 * (TokenRequest) and `POST /apis/authentication.k8s.io/v1/tokenreviews` (TokenReview). Both answer 201.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/api-error.js';
import type { ClusterState } from '../cluster-state.js';
import { parseObjectBody, readBody, sendJson } from '../http/http-io.js';
import type { ResourcePath } from '../http/request-path.js';
import type { ResourceType } from '../resources/resource-type.js';
import type { JwtSigner } from './jwt.js';
import { requestToken, reviewToken } from './service-account-tokens.js';

/** Whether the request is for one of the token endpoints (whatever its method). */
export function isTokenRoute(type: ResourceType, path: ResourcePath): boolean {
  if (type.group === 'authentication.k8s.io' && type.plural === 'tokenreviews') return true;
  return type.group === '' && type.plural === 'serviceaccounts' && path.subresource === 'token';
}

export async function serveTokenRoute(
  state: ClusterState,
  signer: JwtSigner,
  maxBodyBytes: number,
  method: string,
  type: ResourceType,
  path: ResourcePath,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const creatingToken = type.plural === 'serviceaccounts' && path.name !== undefined;
  const reviewing = type.plural === 'tokenreviews' && path.name === undefined;
  if (method !== 'POST' || !(creatingToken || reviewing)) {
    req.resume();
    throw new ApiError(
      'MethodNotAllowed',
      `only create (POST) is served for ${type.plural}${creatingToken ? '/token' : ''}`,
    );
  }
  const body = parseObjectBody(
    await readBody(req, maxBodyBytes),
    req.headers['content-type'] ?? 'application/json',
  );
  const ctx = { api: state.api, registry: state.registry, signer, now: () => Math.floor(Date.now() / 1000) };
  const answer = creatingToken
    ? requestToken(ctx, path.namespace ?? '', path.name ?? '', body)
    : reviewToken(ctx, body);
  sendJson(res, 201, answer);
}
