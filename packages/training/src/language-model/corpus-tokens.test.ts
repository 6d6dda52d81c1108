import { generateStories, splitOf, Tokenizer, trainWordPiece } from '@bilinear-lab/text';
import { describe, expect, it } from 'vitest';
import { tokenizeCorpus } from './corpus-tokens.js';

describe('tokenizeCorpus', async () => {
  const stories = generateStories({ seed: 2024, count: 400 });
  const tokenizer = Tokenizer.fromJson((await trainWordPiece(stories, { vocabSize: 300 })).json);
  const bos = tokenizer.special.bos as number;

  it("holds out whole documents by their text, each encoded with the recipe's [BOS] first", async () => {
    const corpus = await tokenizeCorpus(stories, tokenizer, { validationShare: 0.1, minTokens: 32 });
    const heldOut = stories.filter((story) => splitOf(story, 0.1) === 'validation');
    expect(corpus.heldOut).toBe('documents');
    expect(corpus.documents).toEqual({ train: 400 - heldOut.length, validation: heldOut.length });
    expect(corpus.validation.filter((id) => id === bos).length).toBe(heldOut.length);
    const first = await tokenizer.encode(heldOut[0] as string);
    expect(Array.from(corpus.validation.subarray(0, first.ids.length))).toEqual(Array.from(first.ids));
    const all = await tokenizer.encodeBatch(stories);
    expect(corpus.train.length + corpus.validation.length).toBe(all.reduce((n, e) => n + e.ids.length, 0));
  });

  it('falls back to the last tokens when too few documents are held out, and refuses an empty corpus', async () => {
    const few = stories.slice(0, 3);
    const corpus = await tokenizeCorpus(few, tokenizer, { validationShare: 0.1, minTokens: 32 });
    expect(corpus.heldOut).toBe('tail');
    expect(corpus.validation.length).toBeGreaterThanOrEqual(32);
    await expect(tokenizeCorpus([], tokenizer, { validationShare: 0.1, minTokens: 32 })).rejects.toThrow(
      /no documents/,
    );
  });
});
