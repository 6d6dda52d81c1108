// The SAE run's plan, as `bilinear sae train` and the train-sae job share it: the held-out end of the
// text, the steps (one pass, or ⌈tokensTotal / batch⌉, or as given) and a buffer that fits the text.
import { describe, expect, it } from 'vitest';
import { defaultBufferRows, planSaeRun, SaeTextTooShortError, splitHeldOut } from './sae-run.js';

const windows = (lengths: number[]) =>
  lengths.map((length, s) => Array.from({ length }, (_, t) => s * 100 + t));
const SETTINGS = {
  layer: 0,
  point: 'mlp-out' as const,
  features: 32,
  k: 4,
  batchSize: 10,
  learningRate: 1e-3,
  seed: 1,
};

describe('splitHeldOut', () => {
  it('holds out the last sequences that reach the positions asked for, at least one', () => {
    const text = windows([8, 8, 8, 5]);
    expect(splitHeldOut(text, 6)).toEqual({ train: text.slice(0, 2), heldOut: text.slice(2) });
    expect(splitHeldOut(text, 1)).toEqual({ train: text.slice(0, 3), heldOut: text.slice(3) });
  });

  it('refuses a text that would leave nothing to train on, saying how much there is', () => {
    expect(() => splitHeldOut(windows([8, 8]), 100)).toThrow(SaeTextTooShortError);
    try {
      splitHeldOut(windows([8, 8]), 100);
    } catch (error) {
      expect(error).toMatchObject({ sequences: 2, positions: 16, heldOut: 100 });
    }
  });
});

describe('planSaeRun', () => {
  it('trains one pass by default, with a buffer no larger than the text and no smaller than a batch', () => {
    const plan = planSaeRun(windows([8, 8, 8, 8, 8]), 16, { ...SETTINGS, evalTokens: 8 });
    expect(plan).toMatchObject({ trainPositions: 32, heldOutPositions: 8 });
    expect(plan.options).toMatchObject({ steps: 4, bufferRows: 32, modelDim: 16, features: 32, k: 4 });
    expect(plan.train).toHaveLength(4);
  });

  it('takes steps from tokensTotal or as given, and a buffer of at least one batch', () => {
    const text = windows([8, 8, 8]);
    expect(planSaeRun(text, 16, { ...SETTINGS, evalTokens: 8, tokensTotal: 95 }).options.steps).toBe(10);
    expect(planSaeRun(text, 16, { ...SETTINGS, evalTokens: 8, steps: 7 }).options.steps).toBe(7);
    expect(planSaeRun(text, 16, { ...SETTINGS, evalTokens: 8, batchSize: 40 }).options.bufferRows).toBe(40);
    expect(planSaeRun(text, 16, { ...SETTINGS, evalTokens: 8, bufferRows: 12 }).options.bufferRows).toBe(12);
  });

  it('holds at most 2^18 rows or 256 MiB of float32 by default', () => {
    expect(defaultBufferRows(48)).toBe(1 << 18);
    expect(defaultBufferRows(1024)).toBe((1 << 28) / 4096);
  });
});
