/**
 * The admin endpoints, on a port of their own (never one a caller reaches through a shadow Service): liveness,
 * readiness and Prometheus metrics, which the kubelet and Prometheus reach over the network. Nothing here
 * tells a caller more than counters do: the routing snapshot (every Service, endpoint IP and compiled grant)
 * is on the debug listener (`debug-server.ts`), bound to loopback only.
 */
import Fastify, { type FastifyInstance } from 'fastify';

export interface AdminSources {
  /** Ready: the inputs have synced and the listeners of the current snapshot are open. */
  readonly readiness: () => { ready: boolean; reason: string };
  /** The text exposition of every metric the node serves (in worker mode: added up across workers). */
  readonly registry: MetricsSource;
}

/** What `/metrics` reads. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export function createAdminServer(sources: AdminSources): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async (_request, reply) => reply.type('text/plain').send('ok\n'));
  app.get('/readyz', async (_request, reply) => {
    const { ready, reason } = sources.readiness();
    return reply
      .code(ready ? 200 : 503)
      .type('text/plain')
      .send(`${ready ? 'ready' : `not ready: ${reason}`}\n`);
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await sources.registry.metrics();
    return reply.type(sources.registry.contentType).send(text);
  });
  return app;
}
