// How an eigenvector reads for people: its largest and smallest entries — tokens of W_E v for a
// language model's model-space vector, features for one over an input SAE's features.

export interface Entry {
  index: number;
  value: number;
}

/**
 * The `n` largest entries (descending) and the `n` smallest (ascending) of `values`, by a bounded
 * selection: O(length · n) time, no copy of the whole vector (V = 4096 tokens per eigenvector).
 */
export function extremeEntries(values: ArrayLike<number>, n: number): { top: Entry[]; bottom: Entry[] } {
  const count = Math.min(n, values.length);
  const top: Entry[] = [];
  const bottom: Entry[] = [];
  for (let index = 0; index < values.length; index++) {
    const value = values[index] as number;
    insertBounded(top, { index, value }, count, (a, b) => a.value > b.value);
    insertBounded(bottom, { index, value }, count, (a, b) => a.value < b.value);
  }
  return { top, bottom };
}

/** Keeps `list` sorted by `before` and at most `limit` long (ties keep the lower index first). */
function insertBounded(list: Entry[], entry: Entry, limit: number, before: (a: Entry, b: Entry) => boolean) {
  if (limit === 0) return;
  if (list.length === limit && !before(entry, list[list.length - 1] as Entry)) return;
  let at = list.length;
  while (at > 0 && before(entry, list[at - 1] as Entry)) at--;
  list.splice(at, 0, entry);
  if (list.length > limit) list.pop();
}
