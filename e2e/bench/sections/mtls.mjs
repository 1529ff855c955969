/**
 * mTLS between node proxies (issue 15): a call from a pod on node A to a pod on node B, with the Service's mode
 * `off` (node A dials the pod in plaintext) and `strict` (through the tunnel: node A's proxy, mutual TLS 1.3
 * with HTTP/2 CONNECT streams, node B's tunnel server, the pod). Both nodes' processes run on the SUT core, so
 * CPU and memory are the whole path's. Per runtime and mode: max req/s and vCPU per 1000 req/s at max; median
 * and p99 at 1000 req/s; TLS handshakes per 1000 requests (one per session, never per call); and the resident
 * memory each 1000 open TCP connections through the path cost.
 */
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, stopProcess, usage, waitForOutput } from '../lib/processes.mjs';
import { majorOf } from '../lib/runtimes.mjs';
import { summarize } from '../lib/stats.mjs';
import { wrkPaced } from '../lib/wrk.mjs';
import { HOST, maxThroughput, measuredCpu } from './http.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TARGET = path.join(here, '../servers/cross-node-target.mjs');
export const MTLS_RATE = 1000;

async function tunnelCounts(port) {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return response.json();
}

/** Opens `count` TCP connections to `port`, each once the origin's greeting byte came back through the path. */
async function holdConnections(port, count, timeoutMs = 30_000) {
  const sockets = [];
  const deadline = Date.now() + timeoutMs;
  const open = () =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      const timer = setTimeout(
        () => reject(new Error('no greeting in time')),
        Math.max(1, deadline - Date.now()),
      );
      socket.once('data', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  try {
    for (let i = 0; i < count; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, open));
      sockets.push(...batch);
    }
  } catch (error) {
    for (const s of sockets) s.destroy();
    throw error;
  }
  return sockets;
}

export async function mtlsSection(ctx, runtimes) {
  const { settings } = ctx;
  const out = [];
  for (const runtime of runtimes) {
    for (const mode of ['plaintext', 'mtls']) {
      const on = runtime.version ? `Node ${majorOf(runtime.version)}` : runtime.id;
      const label = `${mode === 'mtls' ? 'mTLS tunnel' : 'plaintext'}, ${on}`;
      const about = { id: `cross-node-${mode}@${runtime.id}`, mode, runtime: runtime.id, label };
      if (runtime.bin === undefined) {
        out.push({ ...about, pending: runtime.missing ?? 'runtime missing' });
        continue;
      }
      ctx.log(`mtls: ${label}`);
      let proc;
      try {
        proc = startProcess(`cross-node (${mode})`, runtime.bin, [TARGET, JSON.stringify(ctx.origin), mode], {
          cpu: ctx.sutCpu,
        });
        const ports = JSON.parse((await waitForOutput(proc, /CROSSNODE (\{.*\})/, 30_000))[1]);
        const before = await tunnelCounts(ports.stats);
        const max = await maxThroughput(ctx, ports.http, proc);
        const paced = [];
        for (let run = 0; run < settings.runs; run++) {
          const { result, cpuSeconds } = await measuredCpu(proc, () =>
            wrkPaced(ctx, {
              port: ports.http,
              host: HOST,
              rate: MTLS_RATE,
              seconds: settings.rateSeconds,
              connections: settings.pacedConnections,
            }),
          );
          paced.push({ ...result, vcpuPer1000: cpuSeconds / (result.requests / 1000) });
        }
        const after = await tunnelCounts(ports.stats);
        const streams = (after.streamsOpened ?? 0) - (before.streamsOpened ?? 0);
        const handshakes = (after.handshakes ?? 0) - (before.handshakes ?? 0);
        const rssBefore = usage(proc.pid).rssBytes;
        const held = await holdConnections(ports.greeter, settings.heldConnections);
        const rssHeld = usage(proc.pid).rssBytes;
        for (const socket of held) socket.destroy();
        out.push({
          ...about,
          ...max,
          p50: summarize(paced.map((r) => r.latency.p50)),
          p99: summarize(paced.map((r) => r.latency.p99)),
          vcpuPer1000AtRate: summarize(paced.map((r) => r.vcpuPer1000)),
          failedAtRate: paced.reduce((sum, r) => sum + r.errors, 0),
          tunnelStreams: streams,
          handshakes,
          heldConnections: held.length,
          rssPer1000ConnectionsMiB: (rssHeld - rssBefore) / 2 ** 20 / (held.length / 1000),
          rssMiB: rssBefore / 2 ** 20,
        });
      } catch (error) {
        ctx.log(`mtls: ${label} failed: ${error.message}`);
        out.push({ ...about, error: String(error.message).split('\n')[0] });
      } finally {
        await stopProcess(proc);
      }
    }
  }
  return out;
}
