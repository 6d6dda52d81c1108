import {
  type DecomposeOptions,
  type Decomposition,
  decomposeFile,
  parseSafetensors,
  prepareFileDecomposition,
} from '@bilinear-lab/core';
import { randomMnistModelFile } from '@bilinear-lab/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decomposeTargetWithHelper,
  InteractionHelper,
  type PrefetchedDecomposeHooks,
} from './interaction-prefetch.js';

/** decomposeFile's decomposition of these bytes, with the helper building the matrices. */
function decomposeWithHelper(
  helper: InteractionHelper,
  bytes: Uint8Array,
  options: Omit<DecomposeOptions, 'reference'>,
  hooks?: PrefetchedDecomposeHooks,
): Promise<Decomposition> {
  const prepared = prepareFileDecomposition(parseSafetensors(bytes), {}, options);
  return decomposeTargetWithHelper(helper, prepared.target, prepared.options, hooks);
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

describe('decomposeTargetWithHelper', () => {
  // Patient: the helper builds every matrix however busy the machine keeps it (asserted below).
  const helper = InteractionHelper.start({ patient: true });
  afterAll(() => helper.close());
  const options = { topK: 4, exactnessSamples: 4 };

  it('gives decomposeFile bit for bit, with the outputs in order, and serves one decomposition after another', async () => {
    await helper.ready();
    // 10 classes: the helper's ring of 3 slots wraps around three times.
    const classes = 10;
    for (const [d, seed] of [
      [24, 5],
      [16, 6],
    ] as const) {
      const bytes = randomMnistModelFile(d, seed);
      const expected = decomposeFile(parseSafetensors(bytes), {}, options);
      const progress: number[] = [];
      const actual = await decomposeWithHelper(helper, bytes, options, {
        onProgress: (done, total) => {
          expect(total).toBe(classes);
          progress.push(done);
        },
      });
      expect(progress).toEqual(Array.from({ length: classes }, (_, j) => j + 1));
      expectIdentical(actual, expected);
    }
    expect(helper.matricesBuilt).toBe(2 * classes);
  });

  it('passes outputs on in order when asked, keeping the exactness of all of them', async () => {
    const bytes = randomMnistModelFile(20, 7);
    const expected = decomposeFile(parseSafetensors(bytes), {}, options);
    const passed: number[] = [];
    const result = await decomposeWithHelper(helper, bytes, options, {
      onOutput: async (output, position) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        expect(output.eigenvalues).toEqual(expected.outputs[position]?.eigenvalues);
        passed.push(position);
      },
    });
    expect(passed).toEqual(Array.from({ length: 10 }, (_, j) => j));
    expect(result.outputs).toEqual([]);
    expect(result.exactness).toEqual(expected.exactness);
  });

  it('still decomposes everything, itself, when the helper is gone', async () => {
    const gone = InteractionHelper.start();
    await gone.ready();
    await gone.close();
    await expect(gone.ready()).resolves.toBeUndefined();
    const bytes = randomMnistModelFile(16, 8);
    const expected = decomposeFile(parseSafetensors(bytes), {}, options);
    expectIdentical(await decomposeWithHelper(gone, bytes, options), expected);
    expect(gone.matricesBuilt).toBe(0);
  });

  it('stops the helper at once when the decomposition fails part way', async () => {
    const bytes = randomMnistModelFile(16, 9);
    await expect(
      decomposeWithHelper(helper, bytes, options, {
        beforeOutput: async (position) => {
          if (position === 4) throw new Error('cancelled after 4 outputs');
        },
      }),
    ).rejects.toThrow('cancelled after 4 outputs');
    // The same helper then serves the next decomposition in full.
    const expected = decomposeFile(parseSafetensors(bytes), {}, options);
    expectIdentical(await decomposeWithHelper(helper, bytes, options), expected);
  });
});
