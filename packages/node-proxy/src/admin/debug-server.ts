/**
 * The debug endpoints: the routing snapshot as JSON, which names every Service, endpoint IP and compiled
 * access grant of the cluster. They listen on 127.0.0.1 only, in the pod's own network namespace, so nothing
 * on the network reaches them; a person (or the CLI) reaches them with `kubectl port-forward`, which the API
 * server authorises (`pods/portforward`).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Snapshot } from '../snapshot/snapshot.js';
import { snapshotToJson } from '../snapshot/snapshot-json.js';

/** The only address the debug listener binds. */
export const DEBUG_HOST = '127.0.0.1';

export interface DebugSources {
  readonly snapshot: () => Snapshot;
}

export function createDebugServer(sources: DebugSources): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/debug/snapshot', async () => snapshotToJson(sources.snapshot()));
  return app;
}
