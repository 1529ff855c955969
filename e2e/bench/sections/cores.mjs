/**
 * Scale across cores: the full-policy node-proxy with one worker and with two (`--workers 2`: worker
 * processes on the same port, SO_REUSEPORT where the runtime has it), and nginx with one and two workers as
 * the yardstick, each flat out with wrk. One worker runs on the SUT core, two on both cores (on a two-core
 * machine the load generator and origin share the second one: the ratio says what that allows).
 */
import { stopProcess, usage } from '../lib/processes.mjs';
import { maxThroughput } from './http.mjs';

export async function coresSection(ctx, variants) {
  const out = [];
  for (const variant of variants) {
    const about = {
      id: variant.id,
      kind: variant.kind,
      runtime: variant.runtime,
      workers: variant.workers,
      cpus: String(variant.cpus),
      label: variant.label,
    };
    if (variant.pending) {
      out.push({ ...about, pending: variant.pending });
      continue;
    }
    ctx.log(`cores: ${variant.label} on CPU ${variant.cpus}`);
    let started;
    try {
      started = await variant.start(ctx);
      const max = await maxThroughput(ctx, started.ports.http, started.proc);
      out.push({ ...about, ...max, rssMiB: usage(started.proc.pid).rssBytes / 2 ** 20 });
    } catch (error) {
      ctx.log(`cores: ${variant.label} failed: ${error.message}`);
      out.push({ ...about, error: String(error.message).split('\n')[0] });
    } finally {
      await stopProcess(started?.proc);
    }
  }
  return out;
}
