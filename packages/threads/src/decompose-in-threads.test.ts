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

/** A one-layer language model, MLP only (the layer's input is then the normalised embedding). */
function languageModelFile(vocab: number, d: number, hidden: number): Uint8Array {
  const gaussian = seededGaussian(23);
  const tensor = (name: string, rows: number, cols: number) => ({
    name,
    dtype: 'F32' as const,
    shape: [rows, cols],
    data: Float32Array.from({ length: rows * cols }, () => gaussian() / Math.sqrt(cols)),
  });
  return writeSafetensors([
    tensor('transformer.wte.weight', vocab, d),
    tensor('transformer.h.0.mlp.w.weight', 2 * hidden, d),
    tensor('transformer.h.0.mlp.p.weight', d, hidden),
    tensor('lm_head.weight', vocab, d),
  ]);
}

describe('decomposeInThreads through the output tensor', () => {
  // 70 token directions: three batches of up to 32, the last one partial; m = d = 10 < h = 40.
  const vocab = 70;
  const bytes = languageModelFile(vocab, 10, 40);
  const outputs = Array.from({ length: vocab }, (_, t) => t);
  const options = { topK: 3, exactnessSamples: 4, outputs, readingEntries: 5 };

  it('gives the single-threaded decomposition: same spectra and eigenvectors to rounding, same exactness', async () => {
    const single = decomposeFile(parseSafetensors(bytes), {}, options);
    const labels: string[] = [];
    let finished = 0;
    const threaded = await decomposeInThreads({
      modelBytes: bytes,
      options,
      threads: 3,
      onProgress: (done, total, label) => {
        expect(total).toBe(vocab);
        labels.push(label);
        finished = Math.max(finished, done);
      },
    });
    expect(labels.some((label) => label.startsWith('building the output tensor'))).toBe(true);
    expect(finished).toBe(vocab);
    expect(threaded.outputs.map((o) => o.index)).toEqual(outputs);
    threaded.outputs.forEach((output, j) => {
      const reference = single.outputs[j];
      if (!reference) throw new Error(`no single-threaded output ${j}`);
      const scale = Math.max(...Array.from(reference.eigenvalues, Math.abs));
      output.eigenvalues.forEach((value, r) => {
        expect(Math.abs(value - (reference.eigenvalues[r] as number))).toBeLessThan(1e-12 * scale);
      });
      const pair = output.topPositive[0];
      const expected = reference.topPositive[0];
      expect(pair?.rank).toBe(expected?.rank);
      pair?.vectorModel.forEach((x, i) => {
        expect(Math.abs(x - (expected?.vectorModel[i] as number))).toBeLessThan(1e-9);
      });
      expect(pair?.reading?.top.map((e) => e.index)).toEqual(expected?.reading?.top.map((e) => e.index));
    });
    expect(threaded.exactness).toMatchObject({ against: 'file', passed: true, samples: 4 });
    expect(threaded.exactness?.maxRelError).toBeLessThan(1e-12);
  });

  it('is what auto picks for many directions, and direct still serves when asked', async () => {
    const direct = await decomposeInThreads({ modelBytes: bytes, options, threads: 2, strategy: 'direct' });
    const tensor = await decomposeInThreads({
      modelBytes: bytes,
      options,
      threads: 2,
      strategy: 'output-tensor',
    });
    tensor.outputs.forEach((output, j) => {
      const scale = Math.max(...Array.from(output.eigenvalues, Math.abs));
      output.eigenvalues.forEach((value, r) => {
        expect(Math.abs(value - (direct.outputs[j]?.eigenvalues[r] as number))).toBeLessThan(1e-12 * scale);
      });
    });
  });

  it('decomposes claimed ranges, in any order, exactly as the whole list', async () => {
    const single = decomposeFile(parseSafetensors(bytes), {}, options);
    // Out of order, of uneven lengths, one of them inside a batch of 32.
    const ranges = [
      { first: 40, count: 30 },
      { first: 0, count: 5 },
      { first: 5, count: 35 },
    ];
    const taken = [...ranges];
    const seen: number[] = [];
    const result = await decomposeInThreads({
      modelBytes: bytes,
      options,
      threads: 2,
      claim: async () => taken.shift() ?? null,
      onOutput: (output, position) => {
        seen.push(position);
        const reference = single.outputs[position];
        expect(output.index).toBe(reference?.index);
        const scale = Math.max(...Array.from(reference?.eigenvalues ?? [], Math.abs));
        output.eigenvalues.forEach((value, r) => {
          expect(Math.abs(value - (reference?.eigenvalues[r] as number))).toBeLessThan(1e-12 * scale);
        });
      },
    });
    expect(seen).toEqual(
      ranges.flatMap(({ first, count }) => Array.from({ length: count }, (_, i) => first + i)),
    );
    expect(result.outputs).toEqual([]);
    expect(result.exactness).toBeNull();
  });

  it('refuses a claimed range outside the outputs, and claims without a taker', async () => {
    const claims = [{ first: 60, count: 11 }];
    await expect(
      decomposeInThreads({
        modelBytes: bytes,
        options,
        threads: 1,
        claim: async () => claims.shift() ?? null,
        onOutput: () => {},
      }),
    ).rejects.toThrow('claimed positions 60 … 70 lie outside 0 … 69');
    await expect(
      decomposeInThreads({ modelBytes: bytes, options, threads: 1, claim: async () => null }),
    ).rejects.toThrow('onOutput');
  });

  it('rejects a thread that fails with its error, and stops the others', async () => {
    await expect(
      decomposeInThreads({
        modelBytes: bytes,
        options: { ...options, exactnessSamples: 1, sampleInputs: new Float64Array(7) },
        threads: 2,
        strategy: 'output-tensor',
      }),
    ).rejects.toThrow(/sampleInputs has 7 values/);
  });
});

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
