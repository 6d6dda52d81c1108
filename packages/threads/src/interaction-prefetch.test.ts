import {
  type Decomposition,
  decomposeFile,
  parseSafetensors,
  seededGaussian,
  writeSafetensors,
} from '@bilinear-lab/core';
import { afterAll, describe, expect, it } from 'vitest';
import { decomposeFileWithHelper, InteractionHelper } from './interaction-prefetch.js';

function classifierFile(d: number, classes: number, seed: number): Uint8Array {
  const gaussian = seededGaussian(seed);
  const tensor = (name: string, rows: number, cols: number) => ({
    name,
    dtype: 'F32' as const,
    shape: [rows, cols],
    data: Float32Array.from({ length: rows * cols }, () => 0.2 * gaussian()),
  });
  return writeSafetensors([
    tensor('embed.weight', d, 49),
    tensor('blocks.0.weight', 2 * d, d),
    tensor('head.weight', classes, d),
  ]);
}

/** Bit for bit: the helper runs the same kernel on the same float64 weights as the caller would. */
function expectIdentical(actual: Decomposition, expected: Decomposition): void {
  expect(actual.outputs.map((o) => o.label)).toEqual(expected.outputs.map((o) => o.label));
  actual.outputs.forEach((output, j) => {
    const reference = expected.outputs[j] as (typeof expected.outputs)[number];
    expect(output.eigenvalues).toEqual(reference.eigenvalues);
    expect(output.topPositive.map((p) => p.vectorModel)).toEqual(
      reference.topPositive.map((p) => p.vectorModel),
    );
    expect(output.topNegative.map((p) => p.vectorInput)).toEqual(
      reference.topNegative.map((p) => p.vectorInput),
    );
    expect(output.exactness).toEqual(reference.exactness);
  });
  expect(actual.exactness).toEqual(expected.exactness);
}

describe('decomposeFileWithHelper', () => {
  // Patient: the helper builds every matrix however busy the machine keeps it (asserted below).
  const helper = InteractionHelper.start({ patient: true });
  afterAll(() => helper.close());
  const options = { topK: 4, exactnessSamples: 4 };

  it('gives decomposeFile bit for bit, with the outputs in order, and serves one decomposition after another', async () => {
    await helper.ready();
    // 23 classes: the helper's ring of 3 slots wraps around several times.
    for (const [d, classes, seed] of [
      [24, 23, 5],
      [16, 10, 6],
    ] as const) {
      const bytes = classifierFile(d, classes, seed);
      const expected = decomposeFile(parseSafetensors(bytes), {}, options);
      const progress: number[] = [];
      const actual = await decomposeFileWithHelper(helper, parseSafetensors(bytes), {}, options, {
        onProgress: (done, total) => {
          expect(total).toBe(classes);
          progress.push(done);
        },
      });
      expect(progress).toEqual(Array.from({ length: classes }, (_, j) => j + 1));
      expectIdentical(actual, expected);
    }
    expect(helper.matricesBuilt).toBe(23 + 10);
  });

  it('passes outputs on in order when asked, keeping the exactness of all of them', async () => {
    const bytes = classifierFile(20, 12, 7);
    const expected = decomposeFile(parseSafetensors(bytes), {}, options);
    const passed: number[] = [];
    const result = await decomposeFileWithHelper(helper, parseSafetensors(bytes), {}, options, {
      onOutput: async (output, position) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        expect(output.eigenvalues).toEqual(expected.outputs[position]?.eigenvalues);
        passed.push(position);
      },
    });
    expect(passed).toEqual(Array.from({ length: 12 }, (_, j) => j));
    expect(result.outputs).toEqual([]);
    expect(result.exactness).toEqual(expected.exactness);
  });

  it('still decomposes everything, itself, when the helper is gone', async () => {
    const gone = InteractionHelper.start();
    await gone.ready();
    await gone.close();
    await expect(gone.ready()).resolves.toBeUndefined();
    const bytes = classifierFile(16, 10, 8);
    const expected = decomposeFile(parseSafetensors(bytes), {}, options);
    expectIdentical(await decomposeFileWithHelper(gone, parseSafetensors(bytes), {}, options), expected);
    expect(gone.matricesBuilt).toBe(0);
  });

  it('stops the helper at once when the decomposition fails part way', async () => {
    const bytes = classifierFile(16, 10, 9);
    await expect(
      decomposeFileWithHelper(helper, parseSafetensors(bytes), {}, options, {
        beforeOutput: async (position) => {
          if (position === 4) throw new Error('cancelled after 4 outputs');
        },
      }),
    ).rejects.toThrow('cancelled after 4 outputs');
    // The same helper then serves the next decomposition in full.
    const expected = decomposeFile(parseSafetensors(bytes), {}, options);
    expectIdentical(await decomposeFileWithHelper(helper, parseSafetensors(bytes), {}, options), expected);
  });
});
