// tokenWindows: cleaned, de-duplicated documents through the tokenizer ([BOS] first), concatenated and
// cut into windows of the context, the last one shorter, stopping once maxTokens are read.
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../tokenizer/tokenizer.js';
import { trainWordPiece } from '../tokenizer/train-wordpiece.js';
import { DEFAULT_WINDOW_CONTEXT, tokenWindows, windowContext } from './token-windows.js';

const DOCUMENTS = [
  'The cat sat on the mat. The dog ran to the park.',
  'A bird sang in the tree, and the cat looked up.',
  'The cat sat on the mat. The dog ran to the park.',
  '  Caf\u00e9 time: the dog and the cat sat together.  ',
];

async function tokenizer() {
  const trained = await trainWordPiece(DOCUMENTS, { vocabSize: 120 });
  return loadTokenizer(trained.json, 'tokenizer.json');
}

describe('tokenWindows', () => {
  it('packs each distinct cleaned document, [BOS] first, into windows of the context', async () => {
    const words = await tokenizer();
    const ids: number[] = [];
    for (const document of [DOCUMENTS[0], DOCUMENTS[1], 'Caf time: the dog and the cat sat together.']) {
      ids.push(...(await words.encode(document as string)).ids);
    }
    expect(ids[0]).toBe(words.special.bos);
    const windows = await tokenWindows(DOCUMENTS, words, 8, 1_000_000);
    expect(windows.flat()).toEqual(ids);
    expect(windows.slice(0, -1).every((window) => window.length === 8)).toBe(true);
    expect((windows.at(-1) as number[]).length).toBe(ids.length % 8 || 8);
  });

  it('stops at the first window that reaches maxTokens', async () => {
    const words = await tokenizer();
    const all = await tokenWindows(DOCUMENTS, words, 8, 1_000_000);
    expect(all.length).toBeGreaterThan(3);
    expect(await tokenWindows(DOCUMENTS, words, 8, 17)).toEqual(all.slice(0, 3));
    expect(await tokenWindows(DOCUMENTS, words, 8, 16)).toEqual(all.slice(0, 2));
  });

  it('gives nothing for no documents, and the default context for a model without one', async () => {
    expect(await tokenWindows([], await tokenizer(), 8, 100)).toEqual([]);
    expect(windowContext(48)).toBe(48);
    expect(windowContext(null)).toBe(DEFAULT_WINDOW_CONTEXT);
    expect(windowContext(undefined)).toBe(DEFAULT_WINDOW_CONTEXT);
  });
});
