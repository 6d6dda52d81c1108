import { Heap } from 'heap-js';
import { TokenizerError } from './tokenizer-error.js';

// HF `tokenizers` trains WordPiece with its BPE trainer (models/bpe/trainer.rs), continuation pieces
// spelled `##x`; its Node bindings cannot set a trainer's vocabulary size or specials, so this is that
// trainer in TypeScript, step for step, so that a vocabulary holds the same tokens as HF's:
// - specials first, then every character of the words sorted by code point, then the continuation
//   forms (HF adds those in hash order, which differs from run to run; here they too are sorted);
// - each step merges the most frequent adjacent pair (ties: the smaller pair of ids), in the words
//   listed with that queue entry, as HF does (an entry carries the words it was queued for);
// - a merged pair's own count is not lowered (HF lowers only its neighbours' pairs).

export interface LearnSubwordsOptions {
  /** Stop once the vocabulary has this many tokens (specials included). */
  vocabSize: number;
  /** Tokens placed first, with ids 0, 1, … in this order. */
  specialTokens?: readonly string[];
  /** The spelling of a piece that continues a word (`##` for WordPiece); null for plain BPE. */
  continuingSubwordPrefix?: string | null;
  /** A pair seen fewer times than this is never merged (HF's min_frequency; default 0). */
  minFrequency?: number;
  /** Called after each merge with the vocabulary's size so far. */
  onMerge?: (vocabularySize: number) => void;
}

export interface LearnedSubwords {
  /** The vocabulary in id order. */
  tokens: string[];
  /** Tokens before any merge: specials, characters and continuation forms. */
  initialSize: number;
  /** Merge steps taken (a step may make a token that already exists). */
  merges: number;
}

interface QueuedPair {
  count: number;
  left: number;
  right: number;
  /** The words this entry was queued for: wordList[from, to), slices of shared lists (views cost 100+ B each). */
  wordList: Int32Array;
  from: number;
  to: number;
  /** Insertion order, so that equal entries pop in a fixed order. */
  order: number;
}

const MAX_VOCABULARY = 2 ** 26;

/** The subword vocabulary HF's BPE/WordPiece trainer learns from word counts. */
export function learnSubwords(
  wordCounts: ReadonlyMap<string, number>,
  options: LearnSubwordsOptions,
): LearnedSubwords {
  const {
    vocabSize,
    specialTokens = [],
    continuingSubwordPrefix = null,
    minFrequency = 0,
    onMerge,
  } = options;
  if (!Number.isSafeInteger(vocabSize) || vocabSize < 1 || vocabSize > MAX_VOCABULARY) {
    throw new TokenizerError(
      'invalid-option',
      `the vocabulary size must be a whole number from 1 to ${MAX_VOCABULARY}, not ${vocabSize}`,
    );
  }
  if (wordCounts.size === 0) throw new TokenizerError('empty-corpus', 'no words to learn from');

  const tokens: string[] = [];
  const ids = new Map<string, number>();
  const add = (token: string) => {
    if (!ids.has(token)) {
      ids.set(token, tokens.length);
      tokens.push(token);
    }
  };
  for (const token of specialTokens) add(token);
  const characters = new Set<string>();
  const continuations = new Set<string>();
  let totalSymbols = 0;
  for (const word of wordCounts.keys()) {
    let first = true;
    for (const character of word) {
      characters.add(character);
      if (!first) continuations.add(character);
      first = false;
      totalSymbols++;
    }
  }
  for (const character of sortByCodePoint(characters)) add(character);
  if (continuingSubwordPrefix !== null) {
    for (const character of sortByCodePoint(continuations)) add(continuingSubwordPrefix + character);
  }
  const initialSize = tokens.length;
  if (vocabSize < initialSize) {
    const parts = [`${specialTokens.length} special tokens`, `${characters.size} characters`];
    if (continuingSubwordPrefix !== null) {
      parts.push(`${continuations.size} continuation pieces (${continuingSubwordPrefix}x)`);
    }
    throw new TokenizerError(
      'invalid-option',
      `a vocabulary of ${vocabSize} is too small: the corpus needs ${initialSize} tokens before any merge ` +
        `(${parts.join(', ')})`,
    );
  }
  // Every id stays below vocabSize, so a pair packs into one number; below 2^15 ids it is a small
  // integer, which V8 keeps unboxed in the maps below.
  const base = 2 ** Math.ceil(Math.log2(vocabSize + 1));
  const pairKey = (left: number, right: number) => left * base + right;

  // Words as one flat array of symbol ids (a word's slot only shrinks as pieces merge), and for each
  // pair the words it occurs in, as slices of one Int32Array: memory a few times the distinct words.
  const words = wordCounts.size;
  const symbols = new Int32Array(totalSymbols);
  const starts = new Int32Array(words);
  const lengths = new Int32Array(words);
  const counts = new Float64Array(words);
  let cursor = 0;
  let index = 0;
  for (const [word, count] of wordCounts) {
    starts[index] = cursor;
    let first = true;
    for (const character of word) {
      const token =
        first || continuingSubwordPrefix === null ? character : continuingSubwordPrefix + character;
      symbols[cursor++] = ids.get(token) as number;
      first = false;
    }
    lengths[index] = cursor - (starts[index] as number);
    counts[index] = count;
    index++;
  }

  const pairCounts = new Map<number, number>();
  const occurrences = pairOccurrences(symbols, starts, lengths, pairKey, (key, word) => {
    pairCounts.set(key, (pairCounts.get(key) ?? 0) + (counts[word] as number));
  });

  let order = 0;
  const queue = new Heap<QueuedPair>(
    (a, b) => b.count - a.count || a.left - b.left || a.right - b.right || a.order - b.order,
  );
  const enqueue = (key: number, wordList: Int32Array, from: number, to: number) => {
    const count = pairCounts.get(key) ?? 0;
    if (count > 0) {
      const left = Math.floor(key / base);
      queue.push({ count, left, right: key - left * base, wordList, from, to, order: order++ });
    }
  };
  for (const [key, [from, to]] of occurrences.slices) enqueue(key, occurrences.words, from, to);
  occurrences.slices.clear();

  let merges = 0;
  const touched = new Map<number, Set<number>>();
  const change = (left: number, right: number, delta: number, word: number) => {
    const key = pairKey(left, right);
    pairCounts.set(key, (pairCounts.get(key) ?? 0) + delta * (counts[word] as number));
    if (delta > 0) {
      const set = touched.get(key);
      if (set === undefined) touched.set(key, new Set([word]));
      else set.add(word);
    }
  };
  while (tokens.length < vocabSize) {
    const top = queue.pop();
    if (top === undefined) break;
    const current = pairCounts.get(pairKey(top.left, top.right)) ?? 0;
    if (top.count !== current) {
      top.count = current;
      top.order = order++;
      queue.push(top);
      continue;
    }
    if (top.count < 1 || minFrequency > top.count) break;

    const leftToken = tokens[top.left] as string;
    let rightToken = tokens[top.right] as string;
    if (continuingSubwordPrefix !== null && rightToken.startsWith(continuingSubwordPrefix)) {
      rightToken = rightToken.slice(continuingSubwordPrefix.length);
    }
    const merged = leftToken + rightToken;
    add(merged);
    const mergedId = ids.get(merged) as number;
    merges++;

    touched.clear();
    for (let i = top.from; i < top.to; i++) {
      const word = top.wordList[i] as number;
      const start = starts[word] as number;
      const slot = symbols.subarray(start, start + (lengths[word] as number));
      lengths[word] = mergeInWord(slot, top.left, top.right, mergedId, word, change);
    }
    // The new pairs' word lists share one array per step.
    let listed = 0;
    for (const wordSet of touched.values()) listed += wordSet.size;
    const lists = new Int32Array(listed);
    let at = 0;
    for (const [key, wordSet] of touched) {
      const from = at;
      for (const word of wordSet) lists[at++] = word;
      enqueue(key, lists, from, at);
    }
    onMerge?.(tokens.length);
  }
  return { tokens, initialSize, merges };
}

/**
 * For each adjacent pair of symbols (by key): the words it occurs in, each once, as slices of one
 * Int32Array. `visit` sees every occurrence (a word with a pair twice, twice).
 */
function pairOccurrences(
  symbols: Int32Array,
  starts: Int32Array,
  lengths: Int32Array,
  pairKey: (left: number, right: number) => number,
  visit: (key: number, word: number) => void,
): { words: Int32Array; slices: Map<number, [number, number]> } {
  const eachPair = (action: (key: number, word: number) => void) => {
    for (let word = 0; word < starts.length; word++) {
      const start = starts[word] as number;
      const end = start + (lengths[word] as number);
      for (let i = start; i + 1 < end; i++)
        action(pairKey(symbols[i] as number, symbols[i + 1] as number), word);
    }
  };
  // Two passes: count the words of each pair, then fill each pair's slice.
  const slices = new Map<number, [number, number]>();
  const lastWord = new Map<number, number>();
  eachPair((key, word) => {
    visit(key, word);
    if (lastWord.get(key) === word) return;
    lastWord.set(key, word);
    const slice = slices.get(key);
    if (slice === undefined) slices.set(key, [0, 1]);
    else slice[1]++;
  });
  let total = 0;
  for (const slice of slices.values()) {
    const size = slice[1];
    slice[0] = total;
    slice[1] = total;
    total += size;
  }
  const words = new Int32Array(total);
  lastWord.clear();
  eachPair((key, word) => {
    if (lastWord.get(key) === word) return;
    lastWord.set(key, word);
    const slice = slices.get(key) as [number, number];
    words[slice[1]++] = word;
  });
  return { words, slices };
}

/**
 * Replaces each non-overlapping `left right` in a word's slot (scanning from the start) by `merged`,
 * reports how the neighbouring pairs change, as HF's Word::merge does, and returns the new length.
 */
function mergeInWord(
  slot: Int32Array,
  left: number,
  right: number,
  merged: number,
  word: number,
  change: (left: number, right: number, delta: number, word: number) => void,
): number {
  let length = slot.length;
  for (let i = 0; i < length; i++) {
    if (slot[i] !== left || i + 1 >= length || slot[i + 1] !== right) continue;
    if (i > 0) {
      const before = slot[i - 1] as number;
      change(before, left, -1, word);
      change(before, merged, 1, word);
    }
    slot[i] = merged;
    slot.copyWithin(i + 1, i + 2, length);
    length--;
    if (i < length - 1) {
      const after = slot[i + 1] as number;
      change(right, after, -1, word);
      change(merged, after, 1, word);
    }
  }
  return length;
}

function sortByCodePoint(characters: Iterable<string>): string[] {
  return [...characters].sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number));
}
