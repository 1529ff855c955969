/**
 * Memory at rest: `nodemesh-proxy run` (the built binary) against the in-memory API server holding a small
 * mesh (the convergence section's objects), on each runtime, with one worker and with two. Once ready and
 * idle for a few seconds, the resident memory of each of its processes: the one process with `--workers 1`;
 * the primary (watches, snapshot, admin) and each worker with `--workers 2`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  processTree,
  sleep,
  startProcess,
  stopProcess,
  usage,
  waitForOutput,
} from '../lib/processes.mjs';
import { majorOf } from '../lib/runtimes.mjs';
import { createCluster } from './convergence.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../../..');

export async function memorySection(ctx, runtimes) {
  const started = [];
  try {
    const apiProc = startProcess(
      'apiserver',
      process.execPath,
      [path.join(root, 'packages/apiserver/dist/bin.js'), '--port', '0'],
      { cpu: ctx.loadCpu },
    );
    started.push(apiProc);
    const api = (await waitForOutput(apiProc, /listening on (http:\/\/127\.[\d.]+:\d+)/))[1];
    const backendsProc = startProcess(
      'named backends',
      process.execPath,
      [path.join(here, '../servers/named-backends.mjs')],
      {
        cpu: ctx.loadCpu,
      },
    );
    started.push(backendsProc);
    const backends = JSON.parse((await waitForOutput(backendsProc, /BACKENDS (\{.*\})/))[1] ?? '{}');
    await createCluster(api, backends);
    const out = [];
    for (const runtime of runtimes) {
      for (const workers of [1, 2]) {
        const label = `nodemesh-proxy run --workers ${workers}, Node ${majorOf(runtime.version)}`;
        if (runtime.bin === undefined) {
          out.push({ runtime: runtime.id, workers, label, pending: `not available (${runtime.missing})` });
          continue;
        }
        ctx.log(`memory: ${label}`);
        out.push({
          runtime: runtime.id,
          workers,
          label,
          ...(await idleProxy(ctx, runtime.bin, api, workers)),
        });
      }
    }
    return out;
  } catch (error) {
    ctx.log(`memory failed: ${error.message}`);
    return [{ error: String(error.message).split('\n')[0] }];
  } finally {
    for (const proc of started.reverse()) await stopProcess(proc);
  }
}

async function idleProxy(ctx, bin, api, workers) {
  const adminPort = await freePort();
  // A loopback address of its own: the entrypoint's fixed port meets nothing else there.
  const host = `127.77.${1 + Math.floor(Math.random() * 250)}.1`;
  const proc = startProcess(
    'node-proxy (idle)',
    bin,
    [
      path.join(root, 'packages/node-proxy/dist/bin.js'),
      'run',
      '--server',
      api,
      '--node-name',
      'bench-node',
      '--listen-host',
      host,
      '--admin-host',
      '127.0.0.1',
      '--admin-port',
      String(adminPort),
      '--http-entrypoints',
      '1',
      '--workers',
      String(workers),
      '--log-level',
      'warn',
    ],
    { cpu: workers === 1 ? ctx.sutCpu : ctx.allCpus, env: { NODE_ENV: 'production' } },
  );
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exited) throw new Error(`it exited (${proc.exitCode}): ${proc.output.slice(-500)}`);
      const ready = await fetch(`http://127.0.0.1:${adminPort}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error('not ready within 60 s');
      await sleep(100);
    }
    await sleep(ctx.settings.idleSeconds * 1000);
    const mib = (pid) => usage(pid).rssBytes / 2 ** 20;
    const children = processTree(proc.pid).filter((pid) => pid !== proc.pid);
    return {
      totalMiB: usage(proc.pid).rssBytes / 2 ** 20,
      processMiB: [mib(proc.pid) - children.reduce((sum, pid) => sum + mib(pid), 0), ...children.map(mib)],
    };
  } catch (error) {
    return { error: String(error.message).split('\n')[0] };
  } finally {
    await stopProcess(proc);
  }
}
