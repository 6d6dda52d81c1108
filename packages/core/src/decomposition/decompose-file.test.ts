// The file decides: gate and residual come from a model file's own config, the exactness figure is
// measured against the file's own forward pass, and a misread model turns it red. The logits here
// come from a forward pass written in this test from the raw tensors, not from library code.
import { describe, expect, it } from 'vitest';
import {
  CONFIG_METADATA_KEY,
  type Gate,
  type ModelConfig,
  ModelConfigError,
  modelConfigToJson,
} from '../model/config.js';
import { importModel } from '../model/import.js';
import { referenceForward } from '../model/reference-forward.js';
import type { ImageClassifierModel } from '../model/types.js';
import { seededGaussian, seededRandom } from '../random/seeded-random.js';
import { parseSafetensors, type SafetensorsFile } from '../safetensors/read.js';
import { type TensorToWrite, writeSafetensors } from '../safetensors/write.js';
import { erf } from '../special/erf.js';
import { decomposeFile, decomposeModel, EXACTNESS_TOLERANCE, type OutputDecomposition } from './decompose.js';
import { DecompositionInputError } from './target.js';

const INPUT = 12;
const D = 6;
const CLASSES = 4;

interface Weights {
  embed: Float64Array;
  blocks: Float64Array[];
  head: Float64Array;
}

function seededWeights(blocks: number, seed: number): Weights {
  const gaussian = seededGaussian(seed);
  const values = (n: number, scale: number) => Float64Array.from({ length: n }, () => scale * gaussian());
  return {
    embed: values(D * INPUT, 0.4),
    blocks: Array.from({ length: blocks }, () => values(2 * D * D, 0.5)),
    head: values(CLASSES * D, 0.5),
  };
}

function config(blocks: number, residual: boolean, gate: Gate): ModelConfig {
  return {
    kind: 'image-classifier',
    inputDim: INPUT,
    hiddenDim: D,
    layers: blocks,
    outputDim: CLASSES,
    residual,
    gate,
    loss: 'cross-entropy',
  };
}

/** The weights as a float64 safetensors file, with the config in its metadata unless `bare`. */
function modelFile(weights: Weights, residual: boolean, gate: Gate, bare = false): SafetensorsFile {
  const tensors: TensorToWrite[] = [
    { name: 'embed.weight', dtype: 'F64', shape: [D, INPUT], data: weights.embed },
    ...weights.blocks.map((data, i) => ({
      name: `blocks.${i}.weight`,
      dtype: 'F64' as const,
      shape: [2 * D, D],
      data,
    })),
    { name: 'head.weight', dtype: 'F64', shape: [CLASSES, D], data: weights.head },
  ];
  const metadata = bare
    ? undefined
    : {
        [CONFIG_METADATA_KEY]: JSON.stringify(
          modelConfigToJson(config(weights.blocks.length, residual, gate)),
        ),
      };
  return parseSafetensors(writeSafetensors(tensors, metadata));
}

const ACTIVATIONS: Record<Gate, (a: number) => number> = {
  none: (a) => a,
  relu: (a) => Math.max(0, a),
  silu: (a) => a / (1 + Math.exp(-a)),
  gelu: (a) => 0.5 * a * (1 + erf(a / Math.SQRT2)),
};

/** x after the first `blocks` blocks of E p, each act(W x) ⊙ (V x) (+ x), from the raw arrays. */
function hidden(weights: Weights, residual: boolean, gate: Gate, pixels: ArrayLike<number>, blocks: number) {
  let x = Array.from({ length: D }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < INPUT; j++) sum += (weights.embed[i * INPUT + j] as number) * (pixels[j] as number);
    return sum;
  });
  for (const block of weights.blocks.slice(0, blocks)) {
    const row = (r: number) => x.reduce((sum, xi, i) => sum + (block[r * D + i] as number) * xi, 0);
    x = x.map((xk, k) => ACTIVATIONS[gate](row(k)) * row(D + k) + (residual ? xk : 0));
  }
  return x;
}

/** Logits from the raw arrays: head · blocks(E x). */
function logitsOf(weights: Weights, residual: boolean, gate: Gate, pixels: ArrayLike<number>): number[] {
  const x = hidden(weights, residual, gate, pixels, weights.blocks.length);
  return Array.from({ length: CLASSES }, (_, c) =>
    x.reduce((sum, xi, i) => sum + (weights.head[c * D + i] as number) * xi, 0),
  );
}

/** The decomposed block's input, x_{L-1} (bilinear blocks). */
function lastBlockInput(weights: Weights, residual: boolean, pixels: ArrayLike<number>): number[] {
  return hidden(weights, residual, 'none', pixels, weights.blocks.length - 1);
}

/** Σ λ (vᵀx)² over the output's pairs (all of them when topK = d) + aᵀx. */
function rebuilt(output: OutputDecomposition, x: readonly number[]): number {
  let total = 0;
  for (const pair of [...output.topPositive, ...output.topNegative]) {
    const projection = x.reduce((sum, xi, i) => sum + (pair.vectorModel[i] as number) * xi, 0);
    total += pair.eigenvalue * projection * projection;
  }
  if (output.linearModel)
    total += x.reduce((sum, xi, i) => sum + (output.linearModel?.[i] as number) * xi, 0);
  return total;
}

const pixelsOf = (seed: number) => Float64Array.from({ length: INPUT }, seededRandom(seed));

describe('the reference forward pass of a file', () => {
  it.each([
    [1, false, 'none'],
    [2, false, 'none'],
    [2, true, 'none'],
    [1, true, 'relu'],
    [3, true, 'silu'],
    [2, false, 'gelu'],
  ] as const)(
    '%i block(s), residual %s, gate %s: equals the logits written in this test',
    (blocks, residual, gate) => {
      const weights = seededWeights(blocks, 40 + blocks);
      const reference = referenceForward(modelFile(weights, residual, gate));
      if (reference.layout !== 'image-classifier') throw new Error('expected a classifier');
      for (const seed of [1, 2, 3]) {
        const pixels = pixelsOf(seed);
        const ours = reference.logits(pixels, 1);
        logitsOf(weights, residual, gate, pixels).forEach((value, c) => {
          expect(Math.abs((ours[c] as number) - value)).toBeLessThan(1e-12 * (1 + Math.abs(value)));
        });
      }
    },
  );
});

describe('decomposeFile: exactness against the file', () => {
  it.each([
    [1, false],
    [2, false],
    [1, true],
    [2, true],
  ] as const)(
    '%i block(s), residual %s: all eigenpairs + linear_model rebuild the logits',
    (blocks, residual) => {
      const weights = seededWeights(blocks, 7 * blocks + (residual ? 1 : 0));
      const result = decomposeFile(modelFile(weights, residual, 'none'), {}, { topK: D });
      expect(result.exactness).toMatchObject({ against: 'file', passed: true, samples: 8 });
      expect(result.exactness?.maxRelError).toBeLessThan(1e-12);
      expect(result.model).toMatchObject({ residual, gate: 'none', config_source: 'metadata', blocks });
      for (const seed of [5, 6, 7]) {
        const pixels = pixelsOf(seed);
        const logits = logitsOf(weights, residual, 'none', pixels);
        const x = lastBlockInput(weights, residual, pixels);
        result.outputs.forEach((output, c) => {
          expect(output.linearModel === null).toBe(!residual);
          expect(Math.abs(rebuilt(output, x) - (logits[c] as number))).toBeLessThan(1e-10);
          expect(output.exactness).toBeLessThan(1e-12);
        });
      }
    },
  );

  it('the linear term of a residual output is the head row: a = Lᵀ e_c', () => {
    const weights = seededWeights(1, 3);
    const result = decomposeFile(modelFile(weights, true, 'none'));
    const pixels = pixelsOf(4);
    const x = lastBlockInput(weights, true, pixels);
    result.outputs.forEach((output, c) => {
      expect(Array.from(output.linearModel ?? [])).toEqual(
        Array.from(weights.head.subarray(c * D, (c + 1) * D)),
      );
      // In pixels: aᵀ(E p) = (Eᵀa)·p.
      const inModel = x.reduce((sum, xi, i) => sum + (output.linearModel?.[i] as number) * xi, 0);
      const inPixels = Array.from(pixels).reduce(
        (sum, p, j) => sum + (output.linearInput?.[j] as number) * p,
        0,
      );
      expect(Math.abs(inModel - inPixels)).toBeLessThan(1e-12);
    });
  });

  it('a gated model is refused, with the reason, wherever it is decomposed', () => {
    const file = modelFile(seededWeights(1, 9), false, 'relu');
    const message = 'gate relu: the block is not bilinear, its outputs are not quadratic forms of its input';
    expect(() => decomposeFile(file)).toThrow(DecompositionInputError);
    expect(() => decomposeFile(file)).toThrow(message);
    const model = importModel(file);
    expect(model.layout === 'image-classifier' && model.gate).toBe('relu');
    expect(() => decomposeModel(model)).toThrow(message);
  });
});

describe('a misread model turns the exactness figure red', () => {
  /** The model as a reader that ignores the file's config would see it. */
  function misread(file: SafetensorsFile, wrong: Partial<ImageClassifierModel>) {
    const model = importModel(file);
    if (model.layout !== 'image-classifier') throw new Error('expected a classifier');
    return { ...model, ...wrong };
  }

  it.each([
    ['gate relu and residual read as plain bilinear', 2, true, 'relu', { gate: 'none', residual: false }],
    ['residual read as non-residual', 1, true, 'none', { residual: false }],
    ['residual read as non-residual, two blocks', 2, true, 'none', { residual: false }],
    ['non-residual read as residual', 1, false, 'none', { residual: true }],
    ['gate silu of an earlier block ignored', 2, false, 'silu', { gate: 'none' }],
  ] as const)('%s', (_, blocks, residual, gate, wrong) => {
    const file = modelFile(seededWeights(blocks, 11), residual, gate);
    const model = misread(file, wrong);
    const result = decomposeModel(model, { reference: referenceForward(file) });
    expect(result.exactness?.against).toBe('file');
    expect(result.exactness?.passed).toBe(false);
    expect(result.exactness?.maxRelError).toBeGreaterThan(1e-3);
    expect(result.outputs.some((output) => (output.exactness ?? 0) > EXACTNESS_TOLERANCE)).toBe(true);
    // Compared with itself, the misread model would look exact: why the figure must use the file.
    const selfCheck = decomposeModel(model);
    expect(selfCheck.exactness).toMatchObject({ against: 'model', passed: true });
  });
});

describe('what the file records decides; a declaration may not contradict it', () => {
  const weights = seededWeights(1, 21);

  it('a bare file takes the declared residual, and says where it came from', () => {
    const bare = modelFile(weights, false, 'none', true);
    expect(importModel(bare)).toMatchObject({ residual: false, gate: 'none', configSource: 'default' });
    expect(importModel(bare, { residual: true })).toMatchObject({ residual: true, configSource: 'declared' });
    const result = decomposeFile(bare, { residual: true });
    expect(result.exactness?.passed).toBe(true);
    expect(result.outputs[0]?.linearModel).not.toBeNull();
  });

  it('the config file beside a bare file decides like metadata', () => {
    const bare = modelFile(weights, false, 'none', true);
    const beside = JSON.stringify(modelConfigToJson(config(1, true, 'gelu')));
    expect(importModel(bare, { config: beside, configName: 'm.config.json' })).toMatchObject({
      residual: true,
      gate: 'gelu',
      configSource: 'config-file',
    });
  });

  it('contradictions are errors that say which source says what', () => {
    const recorded = modelFile(weights, true, 'none');
    expect(() => importModel(recorded, { residual: false })).toThrow(ModelConfigError);
    expect(() => importModel(recorded, { residual: false })).toThrow(
      /says the blocks are residual; declaring residual = false contradicts it/,
    );
    const other = JSON.stringify(modelConfigToJson(config(1, false, 'none')));
    expect(() => importModel(recorded, { config: other, configName: 'm.config.json' })).toThrow(
      /m.config.json says .* but the file's own metadata says .*residual/,
    );
    const wrongWidth = JSON.stringify(modelConfigToJson({ ...config(1, false, 'none'), hiddenDim: D + 1 }));
    expect(() => importModel(modelFile(weights, false, 'none', true), { config: wrongWidth })).toThrow(
      /says d_hidden = 7, but embed.weight \[d, in\] gives 6/,
    );
    expect(() => importModel(recorded, { config: '{"d_model": 6, "vocab_size": 9}' })).toThrow(
      /describes a language model/,
    );
  });
});

describe('erf', () => {
  it('equals Python math.erf to 1e-15 (values printed by CPython)', () => {
    const expected: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.9, 0.9999589021219005],
      [3, 0.9999779095030014],
      [3.5, 0.9999992569016276],
      [5, 0.9999999999984626],
      [-1.7, -0.9837904585907745],
    ];
    for (const [x, value] of expected) expect(Math.abs(erf(x) - value)).toBeLessThan(1e-15);
    expect(erf(0)).toBe(0);
    expect(erf(40)).toBe(1);
  });
});
