import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { importModel } from '../model/import.js';
import { matrix } from '../model/matrix.js';
import type { ImageClassifierModel, LanguageModel, Matrix } from '../model/types.js';
import { seededGaussian, seededRandom } from '../random/seeded-random.js';
import { parseSafetensors } from '../safetensors/read.js';
import { type Decomposition, decomposeModel, effectiveRank, mergeShards } from './decompose.js';
import { DecompositionInputError } from './target.js';

const FIXTURE = new URL('../../../../../shared/fixtures/torch_mnist_d64.safetensors', import.meta.url);
const REFERENCE = new URL('../../../../../shared/fixtures/torch_mnist_d64.reference.json', import.meta.url);

interface TorchReference {
  eigenvalues_desc_top8: number[][];
  eigenvalues_asc_bottom8: number[][];
  sum_abs_eigenvalues: number[];
  top_eigvec_pixel_space_class0: number[];
}

function gaussianMatrix(rows: number, cols: number, seed: number, scale = 1): Matrix {
  const gaussian = seededGaussian(seed);
  return matrix(
    rows,
    cols,
    Float64Array.from({ length: rows * cols }, () => scale * gaussian()),
  );
}

/** Logits written from scratch: head · ((W E x) ⊙ (V E x)), no library code involved. */
function independentLogits(model: ImageClassifierModel, x: Float64Array): number[] {
  const { embed, head } = model;
  const block = model.blocks[0];
  if (!block) throw new Error('no block');
  const d = embed.rows;
  const e = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < embed.cols; j++)
      e[i] = (e[i] as number) + (embed.data[i * embed.cols + j] as number) * (x[j] as number);
  }
  const g = new Array<number>(block.left.rows).fill(0);
  for (let k = 0; k < g.length; k++) {
    let wx = 0;
    let vx = 0;
    for (let i = 0; i < d; i++) {
      wx += (block.left.data[k * d + i] as number) * (e[i] as number);
      vx += (block.right.data[k * d + i] as number) * (e[i] as number);
    }
    g[k] = wx * vx + (model.residual ? (e[k] as number) : 0);
  }
  return Array.from({ length: head.rows }, (_, c) =>
    g.reduce((sum, gk, k) => sum + (head.data[c * d + k] as number) * gk, 0),
  );
}

describe.skipIf(!existsSync(FIXTURE))('against PyTorch (shared/fixtures/torch_mnist_d64)', () => {
  // Computed in beforeAll: a skipped describe's body still runs while tests are collected.
  let reference: TorchReference;
  let result: Decomposition;
  beforeAll(() => {
    const model = importModel(parseSafetensors(new Uint8Array(readFileSync(FIXTURE))));
    reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as TorchReference;
    result = decomposeModel(model, { topK: 8, exactnessSamples: 16 });
  });

  it('every class: the 8 most positive and 8 most negative eigenvalues equal torch.linalg.eigh to 1e-5 relative', () => {
    expect(result.outputs).toHaveLength(10);
    result.outputs.forEach((output, c) => {
      const d = output.eigenvalues.length;
      const top = reference.eigenvalues_desc_top8[c] as number[];
      const bottom = reference.eigenvalues_asc_bottom8[c] as number[];
      top.forEach((value, i) => {
        expect(Math.abs((output.eigenvalues[i] as number) - value)).toBeLessThan(1e-5 * Math.abs(value));
      });
      bottom.forEach((value, i) => {
        expect(Math.abs((output.eigenvalues[d - 1 - i] as number) - value)).toBeLessThan(
          1e-5 * Math.abs(value),
        );
      });
      const sumAbs = output.eigenvalues.reduce((s, x) => s + Math.abs(x), 0);
      expect(Math.abs(sumAbs - (reference.sum_abs_eigenvalues[c] as number))).toBeLessThan(1e-5 * sumAbs);
    });
  });

  it("class 0's top eigenvector in pixel space equals PyTorch's up to sign", () => {
    const ours = result.outputs[0]?.topPositive[0]?.vectorInput;
    if (!ours) throw new Error('no pixel-space vector');
    const theirs = reference.top_eigvec_pixel_space_class0;
    expect(ours.length).toBe(784);
    let dot = 0;
    for (let i = 0; i < 784; i++) dot += (ours[i] as number) * (theirs[i] as number);
    const sign = Math.sign(dot);
    const scale = Math.max(...theirs.map(Math.abs));
    for (let i = 0; i < 784; i++)
      expect(Math.abs(sign * (ours[i] as number) - (theirs[i] as number))).toBeLessThan(1e-5 * scale);
  });

  it('reconstructs every logit from its eigenpairs to float64 precision', () => {
    expect(result.exactness?.samples).toBe(16);
    expect(result.exactness?.maxRelError).toBeLessThan(1e-12);
  });
});

describe('decomposeModel on seeded random models', () => {
  const d = 24;
  const inputDim = 36;
  const model: ImageClassifierModel = {
    layout: 'image-classifier',
    inputDim,
    imageShape: [6, 6],
    embed: gaussianMatrix(d, inputDim, 1, 0.3),
    blocks: [{ left: gaussianMatrix(d, d, 2, 0.3), right: gaussianMatrix(d, d, 3, 0.3) }],
    head: gaussianMatrix(5, d, 4, 0.3),
    residual: false,
    gate: 'none',
    configSource: 'default',
  };

  it('Σ λ (vᵀEx)² over every eigenpair equals an independently written forward pass', () => {
    const result = decomposeModel(model, { topK: d });
    const random = seededRandom(9);
    for (let trial = 0; trial < 5; trial++) {
      const x = Float64Array.from({ length: inputDim }, random);
      const logits = independentLogits(model, x);
      result.outputs.forEach((output, c) => {
        // topK = d: every eigenpair is returned, split by sign (zero eigenvalues contribute nothing).
        const pairs = [...output.topPositive, ...output.topNegative];
        let rebuilt = 0;
        for (const pair of pairs) {
          let projection = 0;
          for (let j = 0; j < inputDim; j++)
            projection += (pair.vectorInput?.[j] as number) * (x[j] as number);
          rebuilt += pair.eigenvalue * projection * projection;
        }
        expect(Math.abs(rebuilt - (logits[c] as number))).toBeLessThan(
          1e-10 * Math.max(1, Math.abs(logits[c] as number)),
        );
      });
    }
    expect(result.exactness?.maxRelError).toBeLessThan(1e-12);
  });

  it('spectra are descending, top-k split by sign, effective rank as defined, sign convention recorded', () => {
    const result = decomposeModel(model, { topK: 3, outputs: [4, 1] });
    expect(result.outputs.map((o) => o.index)).toEqual([4, 1]);
    for (const output of result.outputs) {
      const values = Array.from(output.eigenvalues);
      expect(values).toEqual([...values].sort((a, b) => b - a));
      expect(output.topPositive.map((p) => p.eigenvalue)).toEqual(values.slice(0, 3).filter((v) => v > 0));
      expect(output.topNegative.map((p) => p.eigenvalue)).toEqual(
        values
          .slice(-3)
          .reverse()
          .filter((v) => v < 0),
      );
      expect(output.effectiveRank).toBeCloseTo(effectiveRank(values), 12);
      for (const pair of output.topPositive) {
        const largest = pair.vectorInput?.reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0) ?? 0;
        expect(largest).toBeGreaterThan(0);
      }
    }
    expect(result.signConvention.method).toBe('largest-entry');
  });

  it('with real inputs, orients eigenvectors by their mean overlap with the data', () => {
    const random = seededRandom(3);
    const inputs = Float64Array.from({ length: 20 * inputDim }, random);
    const result = decomposeModel(model, { topK: 4, sampleInputs: inputs });
    expect(result.signConvention.method).toBe('mean-overlap');
    expect(result.exactness?.samples).toBe(20);
    const meanEmbedded = new Float64Array(d);
    for (let s = 0; s < 20; s++) {
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < inputDim; j++) {
          const term = (model.embed.data[i * inputDim + j] as number) * (inputs[s * inputDim + j] as number);
          meanEmbedded[i] = (meanEmbedded[i] as number) + term / 20;
        }
      }
    }
    for (const pair of result.outputs[0]?.topPositive ?? []) {
      const overlap = pair.vectorModel.reduce((sum, v, i) => sum + v * (meanEmbedded[i] as number), 0);
      expect(overlap).toBeGreaterThanOrEqual(0);
    }
  });

  it('residual models: the linear readout is part of the reconstruction', () => {
    const residual = { ...model, residual: true };
    const result = decomposeModel(residual, { topK: 2 });
    expect(result.exactness?.maxRelError).toBeLessThan(1e-12);
  });

  it('language models decompose along unembedding rows of the named tokens', () => {
    const lm: LanguageModel = {
      layout: 'language-model',
      vocabSize: 11,
      modelDim: 8,
      hiddenDim: 12,
      embedding: gaussianMatrix(11, 8, 5),
      unembedding: gaussianMatrix(11, 8, 6),
      layers: [
        {
          attention: null,
          mlp: { left: gaussianMatrix(12, 8, 7), right: gaussianMatrix(12, 8, 8) },
          down: gaussianMatrix(8, 12, 9),
        },
      ],
      gate: 'none',
      config: null,
      configSource: 'default',
    };
    const result = decomposeModel(lm, { outputs: [3, 10], topK: 2 });
    expect(result.outputs.map((o) => o.label)).toEqual(['token 3', 'token 10']);
    expect(result.outputs[0]?.topPositive[0]?.vectorInput).toHaveLength(11);
    expect(result.exactness?.maxRelError).toBeLessThan(1e-12);
    expect(() => decomposeModel(lm, {})).toThrow(/name the token ids/);
    expect(() => decomposeModel(lm, { outputs: [1], layer: 2 })).toThrow(
      /layer 2 does not exist: the model has layers 0..0/,
    );
  });

  it('shards decomposed separately merge into the single-call result', () => {
    const whole = decomposeModel(model, { topK: 3, exactnessSamples: 6 });
    const shards = [0, 1, 2].map((index) =>
      decomposeModel(model, { topK: 3, exactnessSamples: 6, shard: { index, count: 3 } }),
    );
    const merged = mergeShards(shards);
    expect(merged.outputs.map((o) => o.index)).toEqual([0, 1, 2, 3, 4]);
    merged.outputs.forEach((output, j) => {
      expect(Array.from(output.eigenvalues)).toEqual(Array.from(whole.outputs[j]?.eigenvalues ?? []));
    });
    expect(merged.exactness).toEqual(whole.exactness);
  });

  it('rejects bad options with what and where', () => {
    expect(() => decomposeModel(model, { outputs: [5] })).toThrow(DecompositionInputError);
    expect(() => decomposeModel(model, { outputs: [5] })).toThrow(
      /class 5 is out of range 0..4 for this model/,
    );
    expect(() => decomposeModel(model, { outputs: [1, 1] })).toThrow(/listed twice/);
    expect(() => decomposeModel(model, { topK: -1 })).toThrow(/topK/);
  });
});
