/**
 * The shell around the route conditions (leader only): parses what the informers hold, computes each mesh
 * route's `status.parents`, and writes the routes whose status changes, through their `/status`
 * subresource (PUT with the resourceVersion read, so a concurrent change is a 409 left to the next sync).
 * Routes that fail validation are skipped: the node-proxy reports them as Warning Events.
 */
import { type Logger, statusOf } from '@nodemesh/kube-runtime';
import {
  GATEWAY_ROUTE_KINDS,
  type GatewayKind,
  type MeshDefaults,
  type MeshRoute,
  parseGatewayResource,
  parseServiceAnnotations,
  type ReferenceGrant,
  readUserService,
} from '@nodemesh/smi-types';
import type { KubeApi } from '../kube/kube-api.js';
import { routeParentStatuses, type ServiceView } from './route-conditions.js';
import { nextRouteStatus } from './status-update.js';

export type StatusWriteResult = 'ok' | 'conflict' | 'error';

export interface RouteStatusWriterOptions {
  readonly api: KubeApi;
  /**
   * The route objects each route informer holds (kinds whose CRD is absent hold none), and the apiVersion
   * they are watched in (list items need not carry it).
   */
  readonly routes: () => ReadonlyMap<
    GatewayKind,
    { readonly apiVersion: string | undefined; readonly objects: readonly unknown[] }
  >;
  readonly referenceGrants: () => readonly unknown[];
  /** Every Service (all namespaces). */
  readonly services: () => readonly unknown[];
  readonly meshNamespace: string;
  readonly defaults: MeshDefaults;
  readonly logger: Logger;
  readonly onWrite?: (result: StatusWriteResult) => void;
  readonly requestSync: () => void;
  readonly now?: () => Date;
}

export class RouteStatusWriter {
  constructor(private readonly options: RouteStatusWriterOptions) {}

  async sync(): Promise<void> {
    const { api, logger } = this.options;
    const inputs = { services: this.#services(), grants: this.#grants() };
    const now = this.options.now?.() ?? new Date();
    let failed: unknown;
    for (const [kind, { apiVersion, objects }] of this.options.routes()) {
      const info = GATEWAY_ROUTE_KINDS.find((k) => k.kind === kind);
      if (info === undefined) continue;
      for (const listed of objects) {
        const raw = apiVersion === undefined ? listed : { ...(listed as object), apiVersion };
        const parsed = parseGatewayResource(raw, kind);
        if (!parsed.ok || parsed.value.kind === 'ReferenceGrant') continue;
        const route: MeshRoute = parsed.value;
        const desired = routeParentStatuses(route, inputs);
        // No Service parent (any more): only entries of ours left from before are removed.
        const status = nextRouteStatus((raw as { status?: unknown }).status, desired, now);
        if (status === undefined) continue;
        const { namespace, name } = route.meta;
        const version = route.meta.apiVersion;
        const path = `/apis/${version}/namespaces/${encodeURIComponent(namespace)}/${info.plural}/${encodeURIComponent(name)}/status`;
        try {
          await api.replace(path, { ...(raw as object), apiVersion: version, kind, status });
          this.options.onWrite?.('ok');
          logger.info('route status written', { kind, namespace, name });
        } catch (error) {
          const code = statusOf(error);
          if (code === 409 || code === 404) {
            this.options.onWrite?.('conflict');
            this.options.requestSync();
            continue;
          }
          this.options.onWrite?.('error');
          failed = error;
        }
      }
    }
    if (failed !== undefined) throw failed;
  }

  #services(): Map<string, ServiceView> {
    const views = new Map<string, ServiceView>();
    for (const raw of this.options.services()) {
      const read = readUserService(raw);
      if (!read.ok || read.value.namespace === this.options.meshNamespace) continue;
      const service = read.value;
      const config = parseServiceAnnotations(service.annotations, this.options.defaults);
      views.set(`${service.namespace}/${service.name}`, {
        ports: service.ports.map((p) => ({ port: p.port, protocol: p.protocol })),
        trafficType: config.ok ? config.value.trafficType : this.options.defaults.trafficType,
      });
    }
    return views;
  }

  #grants(): ReferenceGrant[] {
    const grants: ReferenceGrant[] = [];
    for (const raw of this.options.referenceGrants()) {
      const parsed = parseGatewayResource(raw, 'ReferenceGrant');
      if (parsed.ok && parsed.value.kind === 'ReferenceGrant') grants.push(parsed.value);
    }
    return grants;
  }
}
