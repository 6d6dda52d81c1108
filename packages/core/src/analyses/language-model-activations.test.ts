// Activations on the PyTorch fixture's held-out text (../shared/fixtures/lm): the eigenpairs of
// Q(u) add up to the MLP's output along u at every real position, and with every eigenpair the
// low-rank correlation with an mlp-out SAE feature is exactly 1 (its code is w_enc·(y − b_dec)).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decomposeModel } from '../decomposition/decompose.js';
import { importModel } from '../model/import.js';
import { importSparseAutoencoder, saeEncoderRow } from '../model/sparse-autoencoder.js';
import type { LanguageModel } from '../model/types.js';
import { parseSafetensors } from '../safetensors/read.js';
import {
  directionActivations,
  eigenvectorActivations,
  lowRankCorrelation,
  mlpPositions,
  saeFeatureActivations,
  textContributions,
  topContexts,
} from './language-model-activations.js';

const LM = new URL('../../../../../shared/fixtures/lm/', import.meta.url);
const HAS_FIXTURE = existsSync(new URL('lm_dev.reference.json', LM));

function load() {
  const read = (name: string) => ({
    file: parseSafetensors(new Uint8Array(readFileSync(new URL(`${name}/model.safetensors`, LM)))),
    config: readFileSync(new URL(`${name}/config.json`, LM), 'utf8'),
  });
  const lm = read('lm_dev');
  const model = importModel(lm.file, { config: lm.config }) as LanguageModel;
  const sae = read('sae_l1_mlp_out');
  const sequences = JSON.parse(readFileSync(new URL('held_out_tokens.json', LM), 'utf8')) as number[][];
  return { model, sae: importSparseAutoencoder(sae.file, { config: sae.config }), sequences };
}

describe.skipIf(!HAS_FIXTURE)(
  `activations on held-out text${HAS_FIXTURE ? '' : ' (skipped: ../shared/fixtures/lm is not beside the repository)'}`,
  () => {
    it('Σ over all eigenpairs of λ (vᵀx)² equals uᵀ MLP(x) at every position', () => {
      const { model, sequences } = load();
      const positions = mlpPositions(model, 1, sequences);
      expect(positions.where).toHaveLength(4 * 48);
      const d = model.modelDim;
      const result = decomposeModel(model, { layer: 1, outputs: [99], topK: d, exactnessSamples: 0 });
      const output = result.outputs[0];
      if (!output) throw new Error('no output');
      const summed = new Float64Array(positions.where.length);
      for (const pair of [...output.topPositive, ...output.topNegative]) {
        const values = eigenvectorActivations(positions, pair.vectorModel, pair.eigenvalue);
        values.forEach((value, t) => {
          summed[t] = (summed[t] as number) + value;
        });
      }
      const truth = directionActivations(positions, model.unembedding.data.subarray(99 * d, 100 * d));
      const scale = Math.max(...truth.map(Math.abs));
      truth.forEach((value, t) => {
        expect(Math.abs((summed[t] as number) - value)).toBeLessThan(1e-12 * scale);
      });
    });

    it('top contexts are the largest values, each with its window of tokens and values', () => {
      const { model, sequences } = load();
      const positions = mlpPositions(model, 1, sequences);
      const values = directionActivations(positions, model.unembedding.data.subarray(0, model.modelDim));
      const contexts = topContexts(values, positions, sequences, { top: 5, before: 3, after: 1 });
      const sorted = [...values].sort((a, b) => b - a);
      expect(contexts.map((c) => c.value)).toEqual(sorted.slice(0, 5));
      for (const context of contexts) {
        expect(context.tokens[context.focus]).toBe(sequences[context.sequence]?.[context.position]);
        expect(context.values[context.focus]).toBe(context.value);
        expect(context.tokens.length).toBeLessThanOrEqual(5);
      }
    });

    it('Fig. 9: with every eigenpair the correlation with an mlp-out SAE feature is 1; fewer give less', () => {
      const { model, sae, sequences } = load();
      const positions = mlpPositions(model, 1, sequences);
      const d = model.modelDim;
      const features = Array.from({ length: 40 }, (_, f) => f);
      const entries = features.map((feature) => {
        const output = decomposeModel(model, {
          layer: 1,
          directions: { kind: 'vectors', vectors: { rows: 1, cols: d, data: saeEncoderRow(sae, feature) } },
          topK: d,
          exactnessSamples: 0,
        }).outputs[0];
        if (!output) throw new Error('no output');
        const pairs = [...output.topPositive, ...output.topNegative];
        return {
          feature,
          eigenvalues: pairs.map((pair) => pair.eigenvalue),
          vectors: Float64Array.from(pairs.flatMap((pair) => Array.from(pair.vectorModel))),
          activations: saeFeatureActivations(positions, sae, feature),
        };
      });
      // TopK codes: at most k = 16 features active per position across the SAE's 40 listed here.
      positions.where.forEach((_, t) => {
        const active = entries.filter(({ activations }) => (activations[t] as number) !== 0).length;
        expect(active).toBeLessThanOrEqual(16);
      });
      const curve = lowRankCorrelation(positions, entries, [1, 4, 16, d]);
      expect(curve.features.length).toBeGreaterThan(0);
      expect(Math.abs((curve.meanCorrelation.at(-1) as number) - 1)).toBeLessThan(1e-9);
      expect(curve.meanCorrelation[0] as number).toBeLessThan(curve.meanCorrelation.at(-1) as number);
    });
    it("a text's contributions: every eigenpair's λ (vᵀx)² sums to the output at each position; the top k leave the rest", () => {
      const { model, sequences } = load();
      const tokens = (sequences[1] as number[]).slice(0, 24);
      const direction = model.unembedding.data.slice(99 * model.modelDim, 100 * model.modelDim);
      const decomposition = decomposeModel(model, { layer: 1, outputs: [99], topK: model.modelDim });
      const output = decomposition.outputs[0];
      if (!output) throw new Error('no output');
      const all = [...output.topPositive, ...output.topNegative].map((pair) => ({
        vector: pair.vectorModel,
        eigenvalue: pair.eigenvalue,
      }));
      expect(all).toHaveLength(model.modelDim);
      const whole = textContributions(model, 1, tokens, direction, all);
      expect(whole.outputs).toHaveLength(tokens.length);
      for (let t = 0; t < tokens.length; t++) {
        let sum = 0;
        for (let j = 0; j < all.length; j++) sum += whole.contributions[t * all.length + j] as number;
        expect(Math.abs(sum - (whole.outputs[t] as number))).toBeLessThan(
          1e-10 * (1 + Math.abs(whole.outputs[t] as number)),
        );
      }
      // The top 2 of each sign: their columns are the same numbers, the rest is left over.
      const top = [...output.topPositive.slice(0, 2), ...output.topNegative.slice(0, 2)].map((pair) => ({
        vector: pair.vectorModel,
        eigenvalue: pair.eigenvalue,
      }));
      const part = textContributions(model, 1, tokens, direction, top);
      expect(part.outputs).toEqual(whole.outputs);
      expect(part.contributions[4 * 4 + 2]).toBe(
        whole.contributions[4 * all.length + output.topPositive.length],
      );
      expect(() => textContributions(model, 1, tokens, direction.slice(1), top)).toThrow(
        /direction has 47 values/,
      );
    });
  },
);

describe('topContexts ranking', () => {
  it('keeps what a stable sort of every position keeps: largest first, ties in position order', () => {
    // Many ties (values on a coarse grid), negatives, and a sequence shorter than the rest.
    const sequences = [Array.from({ length: 40 }, (_, i) => i), Array.from({ length: 7 }, (_, i) => 100 + i)];
    const where = sequences.flatMap((sequence, s) =>
      sequence.map((_, position) => ({ sequence: s, position })),
    );
    const positions = { where, inputs: new Float64Array(0), outputs: new Float64Array(0) };
    let seed = 7;
    const values = Float64Array.from(where, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.round(((seed / 2 ** 31) * 2 - 1) * 4) / 2;
    });
    const sorted = Array.from({ length: values.length }, (_, t) => t).sort(
      (a, b) => (values[b] as number) - (values[a] as number),
    );
    for (const top of [0, 1, 5, 13, where.length, where.length + 3]) {
      const contexts = topContexts(values, positions, sequences, { top, before: 2, after: 1 });
      expect(contexts.map((context) => [context.sequence, context.position])).toEqual(
        sorted.slice(0, top).map((t) => [where[t]?.sequence, where[t]?.position]),
      );
    }
  });
});
