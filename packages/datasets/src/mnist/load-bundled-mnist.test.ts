import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Split } from '../dataset.js';
import { loadBundledMnist } from './load-bundled-mnist.js';

const FIXTURE = new URL('../../../../../shared/fixtures/torch_mnist_d64.safetensors', import.meta.url);

function classCounts(labels: Uint8Array | null): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of labels ?? []) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

/** The fixture's float32 tensors, read straight from the safetensors layout (u64 LE header length, JSON). */
function readFixture(): Record<string, Float32Array> {
  const bytes = readFileSync(FIXTURE);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; data_offsets: [number, number] }
  >;
  const tensors: Record<string, Float32Array> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = info.data_offsets;
    const copy = Uint8Array.from(bytes.subarray(8 + headerLength + start, 8 + headerLength + end));
    tensors[name] = new Float32Array(copy.buffer);
  }
  return tensors;
}

/** How many samples the one-layer fixture model (logits = head · ((W E x) ⊙ (V E x))) classifies right. */
function fixtureCorrect(split: Split): number {
  const t = readFixture();
  const embed = t['embed.weight'] ?? new Float32Array(); // [64, 784]
  const block = t['blocks.0.weight'] ?? new Float32Array(); // [128, 64]: W rows 0..63, V rows 64..127
  const head = t['head.weight'] ?? new Float32Array(); // [10, 64]
  const d = 64;
  let correct = 0;
  const e = new Float64Array(d);
  const g = new Float64Array(d);
  for (let s = 0; s < split.count; s++) {
    e.fill(0);
    for (let p = 0; p < 784; p++) {
      const x = split.inputs[s * 784 + p] ?? 0;
      if (x === 0) continue;
      for (let k = 0; k < d; k++) e[k] = (e[k] ?? 0) + (embed[k * 784 + p] ?? 0) * x;
    }
    for (let h = 0; h < d; h++) {
      let left = 0;
      let right = 0;
      for (let k = 0; k < d; k++) {
        left += (block[h * d + k] ?? 0) * (e[k] ?? 0);
        right += (block[(h + d) * d + k] ?? 0) * (e[k] ?? 0);
      }
      g[h] = left * right;
    }
    let best = -1;
    let bestLogit = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < 10; c++) {
      let logit = 0;
      for (let h = 0; h < d; h++) logit += (head[c * d + h] ?? 0) * (g[h] ?? 0);
      if (logit > bestLogit) [best, bestLogit] = [c, logit];
    }
    if (best === split.labels?.[s]) correct++;
  }
  return correct;
}

describe('loadBundledMnist', () => {
  it('has 8 000 train and 2 000 test digits of 784 pixels', async () => {
    const mnist = await loadBundledMnist();
    expect(mnist).toMatchObject({
      name: 'mnist',
      kind: 'classification',
      inputDim: 784,
      outputDim: 10,
      imageShape: [28, 28],
    });
    for (const [split, count] of [
      [mnist.train, 8000],
      [mnist.test, 2000],
    ] as const) {
      expect(split.count).toBe(count);
      expect(split.inputs.length).toBe(count * 784);
      expect(split.labels?.length).toBe(count);
      expect(split.targets).toBeNull();
    }
  });

  it('keeps pixels in [0, 1] with the 3 decimals the package stores', async () => {
    const { train, test } = await loadBundledMnist();
    let max = 0;
    let nonZero = 0;
    let outOfRange = 0;
    let offGrid = 0;
    for (const inputs of [train.inputs, test.inputs]) {
      for (const x of inputs) {
        if (!(x >= 0 && x <= 1)) outOfRange++;
        if (Math.abs(x * 1000 - Math.round(x * 1000)) > 1e-3) offGrid++;
        if (x > max) max = x;
        if (x > 0) nonZero++;
      }
    }
    expect(outOfRange).toBe(0);
    expect(offGrid).toBe(0);
    expect(max).toBe(1);
    // numpy on the package's JSON: 19.16 % of the 7 840 000 pixels are non-zero.
    expect(nonZero / 7_840_000).toBeCloseTo(0.19161, 4);
  });

  it('has the per-class counts of the package files, split as the fixture was', async () => {
    const { train, test } = await loadBundledMnist();
    // Lengths of digits/0.json … 9.json / 784, and the split counts numpy/PyTorch computed for seed 11.
    const train0 = classCounts(train.labels);
    const test0 = classCounts(test.labels);
    expect(train0.map((n, c) => n + (test0[c] ?? 0))).toEqual([
      1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978,
    ]);
    expect(train0).toEqual([839, 877, 803, 849, 776, 685, 780, 877, 733, 781]);
    expect(test0).toEqual([162, 250, 188, 183, 204, 178, 234, 193, 211, 197]);
    expect(Array.from(train.labels?.subarray(0, 12) ?? [])).toEqual([2, 4, 2, 8, 4, 7, 6, 1, 5, 0, 0, 6]);
    expect(Array.from(test.labels?.subarray(0, 12) ?? [])).toEqual([0, 9, 9, 3, 9, 4, 4, 7, 1, 4, 8, 8]);
    const pixelSum = (inputs: Float32Array) => inputs.reduce((sum, x) => sum + x, 0);
    expect(pixelSum(train.inputs.subarray(0, 784))).toBeCloseTo(100.995, 3);
    expect(pixelSum(test.inputs.subarray(0, 784))).toBeCloseTo(193.78, 3);
  });

  it('loads once and returns the cached dataset', async () => {
    const [a, b] = await Promise.all([loadBundledMnist(), loadBundledMnist()]);
    expect(a).toBe(b);
    expect(await loadBundledMnist()).toBe(a);
  });

  it.skipIf(!existsSync(FIXTURE))(
    'is the split the PyTorch fixture was trained on: 0.9465 on the test split',
    async () => {
      const { train, test } = await loadBundledMnist();
      // reference.json: test_accuracy_on_last_2000 = 0.9465 (1 893 / 2 000); numpy gives 7 762 / 8 000 on train.
      expect(fixtureCorrect(test)).toBe(1893);
      expect(fixtureCorrect(train)).toBe(7762);
    },
  );
});
