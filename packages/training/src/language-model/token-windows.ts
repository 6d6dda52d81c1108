// Batches of token windows from a token stream, as the reference trains: windows of n_ctx tokens
// scored on their next-token predictions (length − 1 per window).
import { seededPermutation, seededRandom } from '@bilinear-lab/core';
import type { TokenWindows } from './transformer.js';

/** A corpus's tokens, documents concatenated, cut into a training and a held-out stream. */
export interface TokenSplits {
  train: Int32Array;
  validation: Int32Array;
}

export class TokenDataError extends Error {
  override readonly name = 'TokenDataError';
}

/**
 * The stream with its last `share` of tokens held out (at least `minTokens`): for a corpus whose
 * documents are too few to hold out whole ones. Throws TokenDataError when either side is too short
 * to make one window of `minTokens`.
 */
export function holdOutTail(tokens: Int32Array, share: number, minTokens: number): TokenSplits {
  if (!(share > 0 && share < 1))
    throw new TokenDataError(`the held-out share must be in (0, 1), got ${share}`);
  const cut = tokens.length - Math.max(minTokens, Math.round(tokens.length * share));
  if (cut < minTokens) {
    throw new TokenDataError(
      `the corpus has ${tokens.length} tokens: too few for a training and a held-out window of ${minTokens} tokens each`,
    );
  }
  return { train: tokens.subarray(0, cut), validation: tokens.subarray(cut) };
}

/** One stream of all documents' tokens, in order. */
export function concatenate(documents: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(documents.reduce((sum, d) => sum + d.length, 0));
  let at = 0;
  for (const document of documents) {
    out.set(document, at);
    at += document.length;
  }
  return out;
}

/**
 * `count` windows of `length` tokens starting anywhere in the stream, uniformly, as make_lm.py draws
 * them (`torch.randint(0, len − C, (batch,))`).
 */
export function randomWindows(
  tokens: Int32Array,
  count: number,
  length: number,
  random: () => number,
): TokenWindows {
  if (tokens.length < length)
    throw new TokenDataError(`${tokens.length} tokens cannot make a window of ${length}`);
  const out = new Int32Array(count * length);
  const starts = Math.max(1, tokens.length - length);
  for (let w = 0; w < count; w++) {
    const start = Math.floor(random() * starts);
    out.set(tokens.subarray(start, start + length), w * length);
  }
  return { tokens: out, windows: count, length };
}

/**
 * The stream cut into consecutive windows of `length` tokens (the rest dropped), at most `limit` of
 * them, evenly spaced: what the held-out loss is measured on. A stream shorter than one window
 * gives one window of all its tokens. Null when there are fewer than 2 tokens.
 */
export function consecutiveWindows(tokens: Int32Array, length: number, limit: number): TokenWindows | null {
  const available = Math.floor(tokens.length / length);
  if (available === 0) {
    return tokens.length >= 2 ? { tokens: tokens.slice(), windows: 1, length: tokens.length } : null;
  }
  const count = Math.min(available, Math.max(1, limit));
  const out = new Int32Array(count * length);
  for (let w = 0; w < count; w++) {
    const start = Math.floor((w * available) / count) * length;
    out.set(tokens.subarray(start, start + length), w * length);
  }
  return { tokens: out, windows: count, length };
}

/** Windows [from, to) of a batch, for evaluating in parts. */
export function windowRange(batch: TokenWindows, from: number, to: number): TokenWindows {
  return {
    tokens: batch.tokens.subarray(from * batch.length, to * batch.length),
    windows: to - from,
    length: batch.length,
  };
}

/** How a run draws its batches. */
export type WindowSampling =
  /** Each step: `batch` windows at uniformly random starts (make_lm.py's recipe). */
  | { kind: 'random' }
  /**
   * Epochs over the training stream cut into consecutive windows, shuffled each epoch; each step
   * takes the next `batch` of them (the last partial batch of an epoch is dropped).
   */
  | { kind: 'epochs' };

/** Optimiser steps in one epoch of consecutive windows (at least 1). */
export function stepsPerEpoch(trainTokens: number, length: number, batch: number): number {
  return Math.max(1, Math.floor(Math.floor(trainTokens / length) / batch));
}

/**
 * The batch of optimiser step `step` (0-based): a function of the seed and the step alone, so a
 * resumed run draws the batches an uninterrupted one would.
 */
export function batchAt(
  tokens: Int32Array,
  sampling: WindowSampling,
  options: { step: number; batch: number; length: number; seed: number },
): TokenWindows {
  const { step, batch, length, seed } = options;
  if (sampling.kind === 'random') {
    return randomWindows(tokens, batch, length, seededRandom(mix(seed, step)));
  }
  const available = Math.floor(tokens.length / length);
  if (available === 0) throw new TokenDataError(`${tokens.length} tokens cannot make a window of ${length}`);
  const perEpoch = stepsPerEpoch(tokens.length, length, batch);
  const epoch = Math.floor(step / perEpoch);
  const order = seededPermutation(available, mix(seed, 0x7fff_0000 + epoch));
  const taken = Math.min(batch, available);
  const first = (step % perEpoch) * taken;
  const out = new Int32Array(taken * length);
  for (let w = 0; w < taken; w++) {
    const start = (order[first + w] as number) * length;
    out.set(tokens.subarray(start, start + length), w * length);
  }
  return { tokens: out, windows: taken, length };
}

/** A 32-bit seed from a run seed and a counter. */
function mix(seed: number, counter: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(counter + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}
