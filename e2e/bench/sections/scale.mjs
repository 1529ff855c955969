/**
 * Control-plane scale: for each size, a fresh process (scale/scale-probe.mjs, with --expose-gc, pinned to
 * the SUT core) builds the routing snapshot of N Services × 10 endpoints and feeds a NodeProxy with it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToEnd } from '../lib/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function scaleSection(ctx) {
  const out = [];
  for (const services of ctx.settings.scaleSizes) {
    ctx.log(`scale: ${services} Services`);
    try {
      const text = await runToEnd(
        'scale-probe',
        process.execPath,
        [
          '--expose-gc',
          '--max-old-space-size=2048',
          path.join(here, '../scale/scale-probe.mjs'),
          String(services),
          '10',
          String(ctx.settings.runs),
          String(ctx.settings.incrementalUpdates),
        ],
        { cpu: ctx.sutCpu, timeoutMs: 300_000 },
      );
      out.push(JSON.parse(text.trim().split('\n').pop() ?? '{}'));
    } catch (error) {
      ctx.log(`scale: ${services} failed: ${error.message}`);
      out.push({ services, error: String(error.message).split('\n')[0] });
    }
  }
  return out;
}
