/** What a book caller has seen so far: answers by store, refusals (403, 429) and errors. Pure. */
export interface Tally {
  readonly byStore: Readonly<Record<string, number>>;
  readonly refused: number;
  readonly errors: number;
}

/** Folds one outcome, `"<status> <body>"` or `"error <message>"`, into the tally. */
export function tallyOutcome(tally: Tally, outcome: string): Tally {
  const [status = '', ...rest] = outcome.split(' ');
  if (status === '200') {
    const store = storeOf(rest.join(' '));
    return { ...tally, byStore: { ...tally.byStore, [store]: (tally.byStore[store] ?? 0) + 1 } };
  }
  if (status === '403' || status === '429') return { ...tally, refused: tally.refused + 1 };
  return { ...tally, errors: tally.errors + 1 };
}

function storeOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'store' in parsed &&
      typeof parsed.store === 'string'
    ) {
      return parsed.store;
    }
  } catch {
    // fall through: not a bookstore answer
  }
  return 'unknown';
}

/** `bookstore-v1 75 (75%), bookstore-v2 25 (25%), refused 0, errors 0` */
export function formatTally(tally: Tally): string {
  const total = Object.values(tally.byStore).reduce((sum, n) => sum + n, 0);
  const stores = Object.entries(tally.byStore)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([store, n]) => `${store} ${n} (${Math.round((100 * n) / total)}%)`);
  return [...stores, `refused ${tally.refused}`, `errors ${tally.errors}`].join(', ');
}
