import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, statusObject, successStatus } from '../api/api-error.js';
import type { JsonObject, KubeObject } from '../api/kube-object.js';
import type { Selection } from '../api/object-api.js';
import type { JwtSigner } from '../auth/jwt.js';
import { isTokenRoute, serveTokenRoute } from '../auth/token-routes.js';
import type { ClusterState } from '../cluster-state.js';
import { isPodConnect, servePodConnect } from '../pods/pod-subresources.js';
import { apiGroup, coreVersions, groupList, resourceList, versionInfo } from '../resources/discovery.js';
import { openApiGroupVersion, openApiRoot } from '../resources/openapi.js';
import type { ResourceType } from '../resources/resource-type.js';
import { toTable, wantsTable } from '../resources/table.js';
import type { AuditCall } from './audit-call.js';
import { auditCallOf } from './audit-call.js';
import type { FailureCounter } from './faults.js';
import { parseObjectBody, patchTypeOf, readBody, selectionOf, sendError, sendJson } from './http-io.js';
import { parseApiPath, type ResourcePath } from './request-path.js';
import { streamWatch, type WatchHub } from './watch-stream.js';

export interface HandlerOptions {
  maxBodyBytes: number;
  defaultWatchTimeoutSeconds: number;
  bookmarkIntervalMs: number;
}

/** What the HTTP shell needs; `state()` changes when a restart drops the objects. */
export interface HandlerContext {
  state(): ClusterState;
  hub: WatchHub;
  failures: FailureCounter;
  options: HandlerOptions;
  /** Serves `/_nodemesh/...`; returns false when the path is not one of its own. */
  control(method: string, url: URL, res: ServerResponse): boolean;
  /** Signs and checks ServiceAccount tokens (TokenRequest, TokenReview); kept across restarts. */
  tokens: JwtSigner;
  /** Told once per resource request, before it is served (and before an injected fault). */
  onRequest?: (call: AuditCall) => void;
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

/** The request handler: discovery, resources, watches, and the control endpoints. Never throws. */
export function createRequestHandler(
  ctx: HandlerContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((error: unknown) => {
      if (error instanceof ApiError) sendError(res, error);
      else
        sendJson(
          res,
          500,
          statusObject(
            500,
            'InternalError',
            `internal error: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
    });
  };
}

async function handle(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname.startsWith('/_nodemesh/')) {
    if (!ctx.control(method, url, res))
      sendJson(res, 404, statusObject(404, 'NotFound', `no control endpoint ${url.pathname}`));
    return;
  }
  if (ctx.onRequest) {
    const call = auditCallOf(method, url, req.headers['user-agent']);
    if (call) ctx.onRequest(call);
  }
  const failure = ctx.failures.take();
  if (failure !== undefined) {
    req.resume();
    if (failure === 429) {
      throw new ApiError('TooManyRequests', 'injected fault: too many requests, please try again later', {
        retryAfterSeconds: 1,
      });
    }
    throw new ApiError('InternalError', 'injected fault: internal error');
  }
  const state = ctx.state();
  switch (url.pathname) {
    case '/version':
    case '/version/':
      return sendJson(res, 200, versionInfo());
    case '/healthz':
    case '/livez':
    case '/readyz':
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
  }
  if (url.pathname === '/openapi/v3' || url.pathname === '/openapi/v3/') {
    return sendJson(res, 200, openApiRoot(state.registry, state.registry.generation));
  }
  if (url.pathname.startsWith('/openapi/v3/')) {
    const rest = url.pathname.slice('/openapi/v3/'.length).split('/');
    const doc =
      rest[0] === 'api' && rest.length === 2
        ? openApiGroupVersion(state.registry, '', rest[1] ?? '')
        : rest[0] === 'apis' && rest.length === 3
          ? openApiGroupVersion(state.registry, rest[1] ?? '', rest[2] ?? '')
          : undefined;
    if (!doc)
      throw new ApiError('NotFound', `the server could not find the requested resource (${url.pathname})`);
    return sendJson(res, 200, doc);
  }
  const parsed = parseApiPath(url.pathname);
  switch (parsed.kind) {
    case 'core-versions':
      return sendJson(res, 200, coreVersions(req.headers.host ?? '127.0.0.1'));
    case 'groups':
      return sendJson(res, 200, groupList(state.registry));
    case 'group': {
      const group = apiGroup(state.registry, parsed.group);
      if (!group)
        throw new ApiError(
          'NotFound',
          `the server could not find the requested resource (group ${parsed.group})`,
        );
      return sendJson(res, 200, group);
    }
    case 'resources': {
      const list = resourceList(state.registry, parsed.group, parsed.version);
      if (!list) throw new ApiError('NotFound', 'the server could not find the requested resource');
      return sendJson(res, 200, list);
    }
    case 'unknown':
      req.resume();
      throw new ApiError(
        'NotFound',
        `the server could not find the requested resource (${method} ${url.pathname})`,
      );
    case 'resource':
      if (isPodConnect(parsed.path)) return servePodConnect(state, parsed.path, url, req, res);
      return handleResource(ctx, state, method, url, parsed.path, req, res);
  }
}

async function handleResource(
  ctx: HandlerContext,
  state: ClusterState,
  method: string,
  url: URL,
  path: ResourcePath,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const type = state.registry.find(path.group, path.version, path.plural);
  if (!type) {
    req.resume();
    const gv = path.group ? `${path.group}/${path.version}` : path.version;
    throw new ApiError(
      'NotFound',
      `the server could not find the requested resource (${path.plural} in ${gv})`,
    );
  }
  if (isTokenRoute(type, path)) {
    return serveTokenRoute(state, ctx.tokens, ctx.options.maxBodyBytes, method, type, path, req, res);
  }
  if (path.subresource !== undefined && !(path.subresource === 'status' && type.hasStatus)) {
    req.resume();
    throw new ApiError(
      'NotFound',
      `the server could not find the requested resource (${path.plural}/${path.subresource})`,
    );
  }
  if (!type.namespaced && path.namespace !== undefined) {
    req.resume();
    throw new ApiError(
      'NotFound',
      `${type.plural} is not namespaced; request it without /namespaces/${path.namespace}`,
    );
  }
  const { api } = state;
  const namespace = type.namespaced ? path.namespace : undefined;
  const watching = path.legacyWatch || isTrue(url.searchParams.get('watch'));
  const subresource = path.subresource === 'status' ? 'status' : undefined;
  const contentType = req.headers['content-type'] ?? 'application/json';
  const body = async () => readBody(req, ctx.options.maxBodyBytes);

  const asTable = method === 'GET' && wantsTable(req.headers.accept);
  const includeObject = url.searchParams.get('includeObject');
  const present = asTable
    ? (obj: KubeObject) => toTable(type, [obj], obj.metadata.resourceVersion ?? '', includeObject)
    : undefined;

  if (method === 'GET' && path.name === undefined) {
    const selection = selectionOf(url, namespace);
    if (watching) return startWatch(ctx, state, type, selection, url, res, present);
    const list = api.list(type, selection);
    if (!asTable) return sendJson(res, 200, list);
    const items = (Array.isArray(list.items) ? list.items : []) as unknown as KubeObject[];
    return sendJson(res, 200, toTable(type, items, String(state.store.resourceVersion), includeObject));
  }
  if (method === 'GET' && path.name !== undefined) {
    if (watching) {
      const selection = selectionOf(url, namespace);
      selection.fields.push({ field: 'metadata.name', op: 'eq', value: path.name });
      return startWatch(ctx, state, type, selection, url, res, present);
    }
    const obj = api.get(type, namespace, path.name);
    if (!asTable) return sendJson(res, 200, obj);
    return sendJson(res, 200, toTable(type, [obj], obj.metadata.resourceVersion ?? '', includeObject));
  }
  const dryRun = url.searchParams.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All'))
    throw badRequest(`dryRun must be "All", got ${JSON.stringify(dryRun)}`);
  const options = {
    dryRun: dryRun.length > 0,
    strictFields: url.searchParams.get('fieldValidation') === 'Strict',
  };
  const write = <T>(op: () => T): T => api.withOptions(options, op);

  if (method === 'POST' && path.name === undefined) {
    if (type.namespaced && path.namespace === undefined) {
      req.resume();
      throw new ApiError(
        'MethodNotAllowed',
        `${type.plural} are namespaced: create them under /namespaces/<namespace>/${type.plural}`,
      );
    }
    const obj = parseObjectBody(await body(), contentType);
    const created = write(() => api.create(type, namespace, obj));
    return sendJson(res, 201, created);
  }
  if (method === 'PUT' && path.name !== undefined) {
    const obj = parseObjectBody(await body(), contentType);
    const name = path.name;
    return sendJson(
      res,
      200,
      write(() => api.update(type, namespace, name, obj, subresource)),
    );
  }
  if (method === 'PATCH' && path.name !== undefined) {
    const patchType = patchTypeOf(contentType);
    const text = (await body()).toString('utf8');
    const options: { subresource?: 'status'; fieldManager?: string } = {};
    if (subresource) options.subresource = subresource;
    const manager = url.searchParams.get('fieldManager');
    if (manager) options.fieldManager = manager;
    const name = path.name;
    const result = write(() => api.patch(type, namespace, name, patchType, text, options));
    return sendJson(res, result.created ? 201 : 200, result.object);
  }
  if (method === 'DELETE' && path.name !== undefined) {
    const raw = await body();
    const options = raw.toString('utf8').trim() === '' ? {} : parseObjectBody(raw, contentType);
    const name = path.name;
    const deleted = write(() => api.delete(type, namespace, name, options));
    return sendJson(res, 200, deleted.metadata.deletionTimestamp ? deleted : deletedResponse(type, deleted));
  }
  if (method === 'DELETE' && path.name === undefined) {
    const raw = await body();
    const options = raw.toString('utf8').trim() === '' ? {} : parseObjectBody(raw, contentType);
    const selection = selectionOf(url, namespace);
    return sendJson(
      res,
      200,
      write(() => api.deleteCollection(type, selection, options)),
    );
  }
  req.resume();
  throw new ApiError(
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method} ${url.pathname})`,
  );
}

/** The real server answers a finished delete with the object for most kinds, and Status for a few. */
function deletedResponse(type: ResourceType, obj: KubeObject): JsonObject | KubeObject {
  if (type.plural === 'namespaces') return obj;
  if (type.crdName !== undefined || type.plural === 'customresourcedefinitions') return obj;
  if (
    ['services', 'pods', 'configmaps', 'endpoints', 'events', 'serviceaccounts', 'nodes'].includes(
      type.plural,
    )
  ) {
    return obj;
  }
  return successStatus({ name: obj.metadata.name ?? '', group: type.group, kind: type.plural });
}

function startWatch(
  ctx: HandlerContext,
  state: ClusterState,
  type: ResourceType,
  selection: Selection,
  url: URL,
  res: ServerResponse,
  present: ((obj: KubeObject) => JsonObject) | undefined,
): void {
  const rv = url.searchParams.get('resourceVersion') ?? '';
  if (rv !== '' && !/^[0-9]+$/.test(rv))
    throw badRequest(`invalid resourceVersion ${JSON.stringify(rv)}: must be a non-negative integer`);
  const timeoutText = url.searchParams.get('timeoutSeconds');
  let timeoutSeconds = ctx.options.defaultWatchTimeoutSeconds;
  if (timeoutText !== null) {
    if (!/^[0-9]+$/.test(timeoutText))
      throw badRequest(`invalid timeoutSeconds ${JSON.stringify(timeoutText)}`);
    timeoutSeconds =
      Math.min(Number(timeoutText), ctx.options.defaultWatchTimeoutSeconds) ||
      ctx.options.defaultWatchTimeoutSeconds;
  }
  streamWatch(
    state.store,
    ctx.hub,
    {
      type,
      selection,
      resourceVersion: rv,
      allowBookmarks: isTrue(url.searchParams.get('allowWatchBookmarks')),
      sendInitialEvents: isTrue(url.searchParams.get('sendInitialEvents')),
      ...(present ? { present } : {}),
      timeoutSeconds,
      bookmarkIntervalMs: ctx.options.bookmarkIntervalMs,
    },
    res,
  );
}
