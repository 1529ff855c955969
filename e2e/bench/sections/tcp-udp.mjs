/**
 * TCP (bulk throughput, new connections per second) and UDP (echo packets per second), per variant that
 * serves the protocol, rounds interleaved (lib/interleaved.mjs). The clients run on the load core; the origin
 * is the Node socket origin.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleavedRounds, medianRssMiB } from '../lib/interleaved.mjs';
import { runToEnd } from '../lib/processes.mjs';
import { summarize } from '../lib/stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

async function tool(ctx, script, args, seconds) {
  const out = await runToEnd(script, process.execPath, [path.join(here, '../load', script), ...args], {
    cpu: ctx.loadCpu,
    timeoutMs: (seconds + 30) * 1000,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

/** The rounds' results folded by `fold`, with the median RSS; a pending or failed variant as it is. */
function folded(results, fold) {
  return results.map(({ rounds, rssBytes, ...rest }) =>
    rounds === undefined ? rest : { ...rest, ...fold(rounds), rssMiB: medianRssMiB(rssBytes) },
  );
}

export async function tcpSection(ctx, variants) {
  const { settings } = ctx;
  const results = await interleavedRounds(ctx, variants, 'tcp', async ({ ports }) => {
    await tool(ctx, 'tcp-load.mjs', ['bulk', String(ports.bulk), String(settings.bulkBytes / 4)], 30);
    const bulk = await tool(
      ctx,
      'tcp-load.mjs',
      ['bulk', String(ports.bulk), String(settings.bulkBytes)],
      60,
    );
    const connect = await tool(
      ctx,
      'tcp-load.mjs',
      ['connect', String(ports.greeter), String(settings.connectSeconds), '16'],
      settings.connectSeconds,
    );
    return {
      bulkGbps: bulk.bytes >= settings.bulkBytes ? (bulk.bytesPerSecond * 8) / 1e9 : Number.NaN,
      connectionsPerSecond: connect.perSecond,
      connectFailed: connect.failed,
    };
  });
  return folded(results, (rounds) => ({
    bulkGbps: summarize(rounds.map((r) => r.bulkGbps)),
    connectionsPerSecond: summarize(rounds.map((r) => r.connectionsPerSecond)),
    connectFailed: rounds.reduce((sum, r) => sum + r.connectFailed, 0),
  }));
}

export async function udpSection(ctx, variants) {
  const { settings } = ctx;
  const results = await interleavedRounds(ctx, variants, 'udp', async ({ ports }) => {
    await tool(ctx, 'udp-load.mjs', [String(ports.udp), '1', '4', '32'], 1);
    return tool(
      ctx,
      'udp-load.mjs',
      [String(ports.udp), String(settings.udpSeconds), '4', '32'],
      settings.udpSeconds,
    );
  });
  return folded(results, (rounds) => ({
    packetsPerSecond: summarize(rounds.map((r) => r.perSecond)),
    lost: rounds.reduce((sum, r) => sum + r.lost, 0),
  }));
}
