/**
 * Every variant once per round, rounds interleaved: this machine's speed drifts over minutes, so a variant
 * measured in one block and its baseline in another would compare two machines. Each round starts the variant
 * afresh and hands it to `oneRound` (which warms it up and measures it); the next variant follows, then the next
 * round. A variant that fails is reported with its error and skipped in the rounds after.
 */
import { stopProcess, usage } from './processes.mjs';
import { summarize } from './stats.mjs';

/**
 * Per variant serving `protocol`, in the given order: `{ ...about, pending }`, `{ ...about, error }`, or
 * `{ ...about, rounds, rssBytes }` with what `oneRound(started)` returned in each round and the SUT's RSS
 * after it (NaN without a SUT process).
 */
export async function interleavedRounds(ctx, variants, protocol, oneRound) {
  const measured = variants.filter((v) => v.protocols.includes(protocol) && !v.pending);
  const records = new Map(measured.map((v) => [v.id, { rounds: [], rssBytes: [], error: undefined }]));
  for (let round = 0; round < ctx.settings.runs; round++) {
    for (const variant of measured) {
      const record = records.get(variant.id);
      if (record.error !== undefined) continue;
      ctx.log(`${protocol}: ${variant.label} (round ${round + 1} of ${ctx.settings.runs})`);
      let started;
      try {
        started = await variant.start(ctx);
        record.rounds.push(await oneRound(started));
        record.rssBytes.push(started.proc ? usage(started.proc.pid).rssBytes : Number.NaN);
      } catch (error) {
        ctx.log(`${protocol}: ${variant.label} failed: ${error.message}`);
        record.error = String(error.message).split('\n')[0];
      } finally {
        await stopProcess(started?.proc);
      }
    }
  }
  return variants
    .filter((v) => v.protocols.includes(protocol))
    .map((variant) => {
      const about = { id: variant.id, kind: variant.kind, runtime: variant.runtime, label: variant.label };
      if (variant.pending) return { ...about, pending: variant.pending };
      const record = records.get(variant.id);
      if (record.error !== undefined) return { ...about, error: record.error };
      return { ...about, rounds: record.rounds, rssBytes: record.rssBytes };
    });
}

/** The median of the finite RSS readings, in MiB (NaN when there is none). */
export function medianRssMiB(rssBytes) {
  const finite = rssBytes.filter((r) => Number.isFinite(r));
  return finite.length === 0 ? Number.NaN : summarize(finite).median / 2 ** 20;
}
