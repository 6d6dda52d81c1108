// A text column under a unique btree index (Decomposition.parametersKey) holds at most ~2.7 kB per
// row: Postgres refuses a longer entry. A canonical request naming thousands of token ids is longer,
// so such a key is stored as its SHA-256 instead; short keys stay readable (and as stored before).
import { createHash } from 'node:crypto';

/** Longest key stored as itself. */
export const UNIQUE_KEY_TEXT_LIMIT = 1024;

export function uniqueKeyText(key: string): string {
  if (key.length <= UNIQUE_KEY_TEXT_LIMIT) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
