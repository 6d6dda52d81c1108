import { seededRandom } from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import {
  batchAt,
  consecutiveWindows,
  holdOutTail,
  randomWindows,
  stepsPerEpoch,
  TokenDataError,
  windowRange,
} from './token-windows.js';

const stream = (n: number, offset = 0) => Int32Array.from({ length: n }, (_, i) => offset + i);

/** Each window must be a contiguous run of the stream (here: consecutive integers). */
function expectContiguous(tokens: Int32Array, windows: number, length: number) {
  for (let w = 0; w < windows; w++) {
    const window = tokens.subarray(w * length, (w + 1) * length);
    for (let t = 1; t < length; t++) expect(window[t]).toBe((window[t - 1] as number) + 1);
  }
}

describe('holdOutTail', () => {
  it('keeps the last share of tokens, at least one window', () => {
    const { train, validation } = holdOutTail(stream(1000), 0.05, 64);
    expect(validation.length).toBe(64);
    expect(Array.from(train.subarray(-1))).toEqual([935]);
    expect(validation[0]).toBe(936);
    expect(holdOutTail(stream(10_000), 0.05, 64).validation.length).toBe(500);
  });

  it('refuses a corpus too small for a window on each side, saying how many tokens it has', () => {
    expect(() => holdOutTail(stream(50), 0.1, 48)).toThrow(TokenDataError);
    expect(() => holdOutTail(stream(50), 0.1, 48)).toThrow(/has 50 tokens: too few/);
  });
});

describe('windows', () => {
  it('random windows are runs of the stream, starting anywhere before its last window', () => {
    const tokens = stream(100);
    const batch = randomWindows(tokens, 500, 10, seededRandom(3));
    expect(batch.windows).toBe(500);
    expectContiguous(batch.tokens, 500, 10);
    const starts = Array.from({ length: 500 }, (_, w) => batch.tokens[w * 10] as number);
    // make_lm.py draws starts from randint(0, len − C): 0 … 89.
    expect(Math.min(...starts)).toBe(0);
    expect(Math.max(...starts)).toBe(89);
  });

  it('consecutive windows tile the stream, evenly spaced when limited', () => {
    const all = consecutiveWindows(stream(95), 10, 100);
    expect(all?.windows).toBe(9);
    expect(all?.tokens[80]).toBe(80);
    const some = consecutiveWindows(stream(95), 10, 3);
    expect(Array.from({ length: 3 }, (_, w) => some?.tokens[w * 10])).toEqual([0, 30, 60]);
    expect(consecutiveWindows(stream(5), 10, 3)).toEqual({ tokens: stream(5), windows: 1, length: 5 });
    expect(consecutiveWindows(stream(1), 10, 3)).toBeNull();
    const part = windowRange(all as NonNullable<typeof all>, 2, 4);
    expect(part.windows).toBe(2);
    expect(part.tokens[0]).toBe(20);
  });

  it('epochs visit every window once, in a new order each epoch, and a step is a function of the seed', () => {
    const tokens = stream(12 * 8);
    const options = { batch: 3, length: 8, seed: 5 };
    expect(stepsPerEpoch(tokens.length, 8, 3)).toBe(4);
    const epoch = (e: number) =>
      Array.from({ length: 4 }, (_, s) =>
        batchAt(tokens, { kind: 'epochs' }, { ...options, step: 4 * e + s }),
      ).flatMap((batch) => Array.from({ length: batch.windows }, (_, w) => batch.tokens[w * 8] as number));
    const first = epoch(0);
    expect([...first].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, w) => w * 8));
    expect(epoch(1)).not.toEqual(first);
    expect(epoch(0)).toEqual(first);
    const random = batchAt(tokens, { kind: 'random' }, { ...options, step: 7 });
    expect(batchAt(tokens, { kind: 'random' }, { ...options, step: 7 })).toEqual(random);
    expect(batchAt(tokens, { kind: 'random' }, { ...options, step: 8 })).not.toEqual(random);
  });
});
