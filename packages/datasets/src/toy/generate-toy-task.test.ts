import { describe, expect, it } from 'vitest';
import { DatasetError } from '../dataset-error.js';
import { generateToyTask, TOY_DEFAULT_COUNT } from './generate-toy-task.js';

/** The stated task, written out independently: output j of inputs x. */
const EXPECTED: ((x: boolean[]) => boolean)[] = [
  (x) => !!x[0] && !!x[1], // AND(0, 1)
  (x) => !!x[0] !== !!x[2], // XOR(0, 2)
  (x) => !!x[0] || !!x[3], // OR(0, 3)
  (x) => !!x[1] && !!x[2], // AND(1, 2)
  (x) => !!x[1] !== !!x[3], // XOR(1, 3)
  (x) => !!x[2] || !!x[3], // OR(2, 3)
];

function sampleBits(inputs: Float32Array, s: number): boolean[] {
  return Array.from(inputs.subarray(s * 4, s * 4 + 4), (v) => v === 1);
}

describe('generateToyTask', () => {
  it('has 4 inputs and 6 regression targets per sample', () => {
    const toy = generateToyTask({ seed: 3 });
    expect(toy).toMatchObject({
      name: 'toy:3',
      kind: 'regression',
      inputDim: 4,
      outputDim: 6,
      imageShape: null,
    });
    for (const split of [toy.train, toy.test]) {
      expect(split.count).toBe(TOY_DEFAULT_COUNT);
      expect(split.inputs.length).toBe(TOY_DEFAULT_COUNT * 4);
      expect(split.targets?.length).toBe(TOY_DEFAULT_COUNT * 6);
      expect(split.labels).toBeNull();
    }
    const small = generateToyTask({ count: 10, testCount: 3 });
    expect([small.train.count, small.test.count, small.test.inputs.length]).toEqual([10, 3, 12]);
  });

  it('is determined by its seed, with independent train and test streams', () => {
    const a = generateToyTask({ seed: 42, count: 500 });
    const b = generateToyTask({ seed: 42, count: 500 });
    expect(b.train.inputs).toEqual(a.train.inputs);
    expect(b.test.targets).toEqual(a.test.targets);
    expect(generateToyTask({ seed: 43, count: 500 }).train.inputs).not.toEqual(a.train.inputs);
    expect(a.test.inputs).not.toEqual(a.train.inputs);
    // One split's count does not move the other split's samples.
    expect(generateToyTask({ seed: 42, count: 500, testCount: 7 }).train.inputs).toEqual(a.train.inputs);
    expect(generateToyTask({ seed: 42, count: 9, testCount: 500 }).test.inputs).toEqual(a.test.inputs);
  });

  it('turns each input on independently with probability 0.3', () => {
    const { train } = generateToyTask({ seed: 7, count: 10_000 });
    const on = [0, 0, 0, 0];
    let both01 = 0;
    const patterns = new Set<number>();
    for (let s = 0; s < train.count; s++) {
      const x = sampleBits(train.inputs, s);
      for (let i = 0; i < 4; i++) if (x[i]) on[i] = (on[i] ?? 0) + 1;
      if (x[0] && x[1]) both01++;
      patterns.add(x.reduce((code, bit, i) => code | (bit ? 1 << i : 0), 0));
    }
    expect(train.inputs.every((v) => v === 0 || v === 1)).toBe(true);
    // Binomial standard deviations: 0.0023 over all 40 000 draws, 0.0046 per input, 0.0029 for a pair.
    expect(Math.abs(on.reduce((a, b) => a + b, 0) / 40_000 - 0.3)).toBeLessThan(0.01);
    for (const count of on) expect(Math.abs(count / 10_000 - 0.3)).toBeLessThan(0.02);
    expect(Math.abs(both01 / 10_000 - 0.09)).toBeLessThan(0.012);
    expect(patterns.size).toBe(16);
  });

  it('sets the targets to AND, XOR, OR, AND, XOR, OR of pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)', () => {
    const toy = generateToyTask({ seed: 11, count: 1000 });
    for (const split of [toy.train, toy.test]) {
      const targets = split.targets ?? new Float32Array();
      for (let s = 0; s < split.count; s++) {
        const x = sampleBits(split.inputs, s);
        const y = Array.from(targets.subarray(s * 6, s * 6 + 6));
        expect(y).toEqual(EXPECTED.map((f) => (f(x) ? 1 : 0)));
      }
    }
  });

  it('takes another probability and other operations', () => {
    const dense = generateToyTask({
      count: 100,
      probability: 1,
      operations: ['xor', 'xor', 'xor', 'or', 'or', 'or'],
    });
    expect(Array.from(dense.train.inputs).every((v) => v === 1)).toBe(true);
    expect(Array.from(dense.train.targets?.subarray(0, 6) ?? [])).toEqual([0, 0, 0, 1, 1, 1]);
    const empty = generateToyTask({ count: 100, probability: 0 });
    expect(Array.from(empty.test.targets ?? []).every((v) => v === 0)).toBe(true);
  });

  it('refuses bad options', () => {
    for (const options of [
      { seed: -1 },
      { seed: 1.5 },
      { seed: 2 ** 32 },
      { count: -1 },
      { testCount: 0.5 },
      { probability: 1.1 },
      { probability: Number.NaN },
      { operations: ['and' as const] },
      { operations: ['and', 'and', 'and', 'and', 'and', 'nand'] as never },
    ]) {
      expect(() => generateToyTask(options)).toThrow(DatasetError);
    }
  });
});
