/**
 * `nodemesh-proxy run`: starts the proxy from parsed flags and stops it on SIGTERM/SIGINT. The only place
 * that touches the process (signals, exit code).
 */
import { createLogger, type Logger } from '@nodemesh/kube-runtime';
import { startNodeProxy, startNodeProxyFleet } from '../kube/start-node-proxy.js';
import { defaultWorkerCount } from '../workers/worker-count.js';
import type { RunFlags } from './flags.js';

/** Runs until a signal; resolves with the exit code. */
export async function runProxy(flags: RunFlags, logger?: Logger): Promise<number> {
  const log = logger ?? createLogger({ component: 'node-proxy', level: flags.logLevel });
  // Listen before starting, so a signal during startup still ends in a clean stop.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const workers = flags.workers ?? defaultWorkerCount();
  let running: { stop(): Promise<void> };
  try {
    // Limits are the node's: with workers, each worker enforces its share (workers/worker-share.ts).
    const dataPlane = {
      connections: {
        maxConnections: flags.maxConnections,
        maxConnectionsPerSource: flags.maxConnectionsPerSource,
      },
      udp: { maxSessionsPerSource: flags.udpSessionsPerSource },
    };
    const options = {
      ...(flags.server === undefined ? {} : { server: flags.server }),
      ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }),
      nodeName: flags.nodeName,
      meshNamespace: flags.meshNamespace,
      meshDomain: flags.meshDomain,
      listenHost: flags.listenHost,
      adminHost: flags.adminHost,
      adminPort: flags.adminPort,
      debugPort: flags.debugPort === 0 ? (false as const) : flags.debugPort,
      httpEntrypoints: flags.httpEntrypoints,
      tcpPorts: flags.tcpPorts,
      udpPorts: flags.udpPorts,
      mtlsMode: flags.mtlsMode,
      tunnelPort: flags.tunnelPort,
      policyFlags: {
        accessControl: flags.accessControl,
        ...(flags.tracingEndpoint === undefined
          ? {}
          : { tracing: { endpoint: flags.tracingEndpoint, sampleRatio: flags.tracingSampleRatio } }),
      },
      logger: log,
      ...(flags.identityIssuer === undefined
        ? {}
        : {
            identity: {
              issuerUrl: flags.identityIssuer,
              tokenFile: flags.identityTokenFile,
              trustDomain: flags.trustDomain,
            },
            tunnelPort: flags.tunnelPort,
          }),
    };
    log.info('data plane', { workers });
    running =
      workers === 1
        ? await startNodeProxy({ ...options, proxy: dataPlane })
        : await startNodeProxyFleet({ ...options, workers, logLevel: flags.logLevel, worker: dataPlane });
  } catch (error) {
    log.error('could not start', { error });
    return 1;
  }
  const signal = await signalled;
  log.info('stopping: draining listeners', { signal });
  // A second signal while draining ends the process at once.
  const force = (second: NodeJS.Signals) => {
    log.warn('second signal: exiting without draining', { signal: second });
    process.exit(1);
  };
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  await running.stop();
  log.info('stopped');
  return 0;
}
