import {
  DecompositionInputError,
  decomposeFile,
  parseSafetensors,
  seededGaussian,
  writeSafetensors,
} from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { decomposeInThreads } from './decompose-in-threads.js';

function classifierFile(d: number, classes: number): Uint8Array {
  const gaussian = seededGaussian(17);
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

describe('decomposeInThreads', () => {
  const bytes = classifierFile(20, 7);
  const options = { topK: 4, exactnessSamples: 5 };

  it('gives exactly the single-threaded decomposition', async () => {
    const single = decomposeFile(parseSafetensors(bytes), {}, options);
    const progress: number[] = [];
    const threaded = await decomposeInThreads({
      modelBytes: bytes,
      options,
      threads: 3,
      onProgress: (done, total) => {
        expect(total).toBe(7);
        progress.push(done);
      },
    });
    expect(threaded.outputs.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    threaded.outputs.forEach((output, j) => {
      const reference = single.outputs[j];
      expect(Array.from(output.eigenvalues)).toEqual(Array.from(reference?.eigenvalues ?? []));
      expect(Array.from(output.topPositive[0]?.vectorInput ?? [])).toEqual(
        Array.from(reference?.topPositive[0]?.vectorInput ?? []),
      );
    });
    expect(threaded.exactness).toEqual(single.exactness);
    expect(threaded.exactness).toMatchObject({ against: 'file', passed: true });
    expect(Math.max(...progress)).toBe(7);
  });

  it('rejects bad input before starting any thread, with the core error type', async () => {
    await expect(decomposeInThreads({ modelBytes: bytes, options: { outputs: [9] } })).rejects.toThrow(
      DecompositionInputError,
    );
    await expect(decomposeInThreads({ modelBytes: bytes.subarray(0, 20) })).rejects.toThrow(
      /truncated|header/,
    );
  });
});
