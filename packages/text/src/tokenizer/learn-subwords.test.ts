import { describe, expect, it } from 'vitest';
import { learnSubwords } from './learn-subwords.js';
import { TokenizerError } from './tokenizer-error.js';

// HF's own unit test of its BPE trainer (tokenizers/src/models/bpe/trainer.rs, `test_train`): these
// word counts with min_frequency 2 give the sorted alphabet and three merges, ids included.
const HF_TEST_WORDS = new Map([
  ['roses', 1],
  ['are', 2],
  ['red', 1],
  ['voilets', 1],
  ['blue', 1],
  ['BERT', 1],
  ['is', 2],
  ['big', 1],
  ['and', 1],
  ['so', 1],
  ['GPT-2', 1],
]);
const HF_TEST_VOCAB = [
  ['-', 0],
  ['2', 1],
  ['B', 2],
  ['E', 3],
  ['G', 4],
  ['P', 5],
  ['R', 6],
  ['T', 7],
  ['a', 8],
  ['b', 9],
  ['d', 10],
  ['e', 11],
  ['g', 12],
  ['i', 13],
  ['l', 14],
  ['n', 15],
  ['o', 16],
  ['r', 17],
  ['s', 18],
  ['t', 19],
  ['u', 20],
  ['v', 21],
  ['re', 22],
  ['are', 23],
  ['is', 24],
] as const;

/** A seeded shuffle (mulberry32), to feed the same counts in another order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

describe('learnSubwords', () => {
  it('reproduces HF’s BPE trainer test (min_frequency 2): the alphabet, then re, are, is', () => {
    const learned = learnSubwords(HF_TEST_WORDS, { vocabSize: 30_000, minFrequency: 2 });
    expect(learned.tokens.map((token, id) => [token, id])).toEqual(HF_TEST_VOCAB.map(([t, id]) => [t, id]));
    expect(learned.initialSize).toBe(22);
    expect(learned.merges).toBe(3);
  });

  it('puts specials first, then characters, then ## continuations, each sorted by code point', () => {
    const learned = learnSubwords(
      new Map([
        ['ba', 1],
        ['éa', 1],
      ]),
      { vocabSize: 7, specialTokens: ['[UNK]', '[BOS]'], continuingSubwordPrefix: '##' },
    );
    expect(learned.initialSize).toBe(6);
    // Then one merge: (b, ##a) and (é, ##a) tie, and b has the smaller id.
    expect(learned.tokens).toEqual(['[UNK]', '[BOS]', 'a', 'b', 'é', '##a', 'ba']);
  });

  it('merges the most frequent pair first, ties to the smaller ids, and drops ## from the right piece', () => {
    const learned = learnSubwords(
      new Map([
        ['abc', 3],
        ['bc', 2],
        ['ab', 1],
      ]),
      { vocabSize: 100, continuingSubwordPrefix: '##' },
    );
    // Pairs: (a,##b) 4, (##b,##c) 3, (b,##c) 2. Merging "ab" moves abc's 3 from (##b,##c) to
    // (ab,##c), which then comes before (b,##c).
    expect(learned.tokens).toEqual(['a', 'b', 'c', '##b', '##c', 'ab', 'abc', 'bc']);
    // No pair is left: the vocabulary stops short of 100.
    expect(learned.merges).toBe(3);
  });

  it('stops at exactly the vocabulary size asked for', () => {
    const words = new Map([
      ['hello', 5],
      ['help', 3],
      ['yellow', 2],
      ['fellow', 2],
    ]);
    for (const size of [14, 15, 17, 20]) {
      expect(learnSubwords(words, { vocabSize: size, continuingSubwordPrefix: '##' }).tokens).toHaveLength(
        size,
      );
    }
  });

  it('learns the same vocabulary whatever order the counts come in', () => {
    const text =
      'the cat sat on the mat and the rat sat on the cat while the bat ate the hat that the cat had ' +
      'seen near the mat; naïve cafés serve thé and crème brûlée to the cats and the rats';
    const counts = new Map<string, number>();
    for (const word of text.split(/\s+/)) counts.set(word, (counts.get(word) ?? 0) + 1);
    const options = { vocabSize: 80, specialTokens: ['[UNK]'], continuingSubwordPrefix: '##' };
    const first = learnSubwords(counts, options).tokens;
    for (const seed of [1, 2, 3]) {
      expect(learnSubwords(new Map(shuffled([...counts], seed)), options).tokens).toEqual(first);
    }
  });

  it('refuses a vocabulary smaller than the specials, characters and continuations, saying how many', () => {
    const run = () =>
      learnSubwords(new Map([['abc', 1]]), {
        vocabSize: 6,
        specialTokens: ['[UNK]', '[BOS]', '[EOS]'],
        continuingSubwordPrefix: '##',
      });
    expect(run).toThrow(TokenizerError);
    expect(run).toThrow(
      'a vocabulary of 6 is too small: the corpus needs 8 tokens before any merge ' +
        '(3 special tokens, 3 characters, 2 continuation pieces (##x))',
    );
  });

  it('refuses no words, and sizes that are not whole numbers ≥ 1', () => {
    expect(() => learnSubwords(new Map(), { vocabSize: 10 })).toThrow(
      expect.objectContaining({ code: 'empty-corpus' }),
    );
    for (const size of [0, 2.5, Number.NaN]) {
      expect(() => learnSubwords(new Map([['a', 1]]), { vocabSize: size })).toThrow(
        expect.objectContaining({ code: 'invalid-option' }),
      );
    }
  });
});
