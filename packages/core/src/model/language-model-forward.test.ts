// The forward pass against what PyTorch computed for ../shared/fixtures/lm/lm_dev (float64 forward of
// the float32 weights, the official architecture in make_lm.py): held-out loss and logits.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '../safetensors/read.js';
import { importModel } from './import.js';
import {
  hookValues,
  languageModelLogits,
  languageModelLoss,
  traceLanguageModel,
} from './language-model-forward.js';
import type { LanguageModel } from './types.js';

const FOLDER = new URL('../../../../../shared/fixtures/lm/lm_dev/', import.meta.url);
const REFERENCE = new URL('../../../../../shared/fixtures/lm/lm_dev.reference.json', import.meta.url);
const HAS_FIXTURE = existsSync(FOLDER) && existsSync(REFERENCE);

interface Reference {
  held_out_tokens: number[][];
  held_out_loss: number;
  logits_seq0_pos0_first8: number[];
  logits_seq0_last_first8: number[];
}

function loadFixture(): { model: LanguageModel; reference: Reference } {
  const file = parseSafetensors(new Uint8Array(readFileSync(new URL('model.safetensors', FOLDER))));
  const model = importModel(file, {
    config: readFileSync(new URL('config.json', FOLDER), 'utf8'),
    configName: 'config.json',
  });
  if (model.layout !== 'language-model') throw new Error('expected a language model');
  return { model, reference: JSON.parse(readFileSync(REFERENCE, 'utf8')) as Reference };
}

describe.skipIf(!HAS_FIXTURE)(
  `the language model's forward pass against PyTorch${HAS_FIXTURE ? '' : ' (skipped: ../shared/fixtures/lm is not beside the repository)'}`,
  () => {
    it('held-out loss equals PyTorch to 1e-10 relative (the issue asks 1e-4)', () => {
      const { model, reference } = loadFixture();
      const result = languageModelLoss(model, reference.held_out_tokens);
      expect(result.tokens).toBe(4 * 47);
      expect(Math.abs(result.loss - reference.held_out_loss)).toBeLessThan(1e-10 * reference.held_out_loss);
      expect(result.perplexity).toBeCloseTo(Math.exp(reference.held_out_loss), 8);
    });

    it('logits at the first and last positions equal PyTorch to 1e-10', () => {
      const { model, reference } = loadFixture();
      const sequence = reference.held_out_tokens[0] as number[];
      const logits = languageModelLogits(model, sequence);
      const vocab = model.vocabSize;
      const last = sequence.length - 1;
      reference.logits_seq0_pos0_first8.forEach((value, v) => {
        expect(Math.abs((logits[v] as number) - value)).toBeLessThan(1e-10);
      });
      reference.logits_seq0_last_first8.forEach((value, v) => {
        expect(Math.abs((logits[last * vocab + v] as number) - value)).toBeLessThan(1e-10);
      });
    });

    it('is causal: a later token does not change earlier logits', () => {
      const { model, reference } = loadFixture();
      const sequence = (reference.held_out_tokens[1] as number[]).slice(0, 12);
      const changed = [...sequence.slice(0, 11), (sequence[11] as number) === 5 ? 6 : 5];
      const a = languageModelLogits(model, sequence);
      const b = languageModelLogits(model, changed);
      expect(Array.from(a.subarray(0, 11 * model.vocabSize))).toEqual(
        Array.from(b.subarray(0, 11 * model.vocabSize)),
      );
    });

    it("records each layer's MLP input (unit RMS) and output", () => {
      const { model, reference } = loadFixture();
      const trace = traceLanguageModel(model, (reference.held_out_tokens[0] as number[]).slice(0, 5), {
        mlp: true,
      });
      expect(trace.mlpInputs).toHaveLength(2);
      const d = model.modelDim;
      const row = trace.mlpInputs[1]?.subarray(0, d) ?? new Float64Array();
      const meanSquare = row.reduce((sum, value) => sum + value * value, 0) / d;
      expect(meanSquare).toBeCloseTo(1, 6);
    });

    it('records the residual stream before, inside and after each layer, consistent with the MLP hook points', () => {
      const { model, reference } = loadFixture();
      const tokens = (reference.held_out_tokens[0] as number[]).slice(0, 6);
      const trace = traceLanguageModel(model, tokens, { mlp: true, residuals: true });
      const d = model.modelDim;
      expect(trace.residPre).toHaveLength(2);
      tokens.forEach((token, t) => {
        expect(Array.from(trace.residPre[0]?.subarray(t * d, (t + 1) * d) ?? [])).toEqual(
          Array.from(model.embedding.data.subarray(token * d, (token + 1) * d)),
        );
      });
      for (let layer = 0; layer < 2; layer++) {
        const pre = trace.residPre[layer] as Float64Array;
        const mid = trace.residMid[layer] as Float64Array;
        const post = trace.residPost[layer] as Float64Array;
        const input = hookValues(trace, layer, 'mlp-in');
        const output = hookValues(trace, layer, 'mlp-out');
        expect(pre.some((value, i) => value !== mid[i])).toBe(true);
        for (let t = 0; t < tokens.length; t++) {
          const row = mid.subarray(t * d, (t + 1) * d);
          const rms = Math.sqrt(row.reduce((sum, value) => sum + value * value, 0) / d + 1e-8);
          for (let i = 0; i < d; i++) {
            expect(input[t * d + i]).toBeCloseTo((row[i] as number) / rms, 12);
            expect(post[t * d + i]).toBeCloseTo(
              (mid[t * d + i] as number) + (output[t * d + i] as number),
              12,
            );
          }
        }
        if (layer === 0) expect(trace.residPre[1]).toEqual(post);
      }
      expect(() => hookValues(traceLanguageModel(model, tokens, { mlp: true }), 0, 'resid-mid')).toThrow(
        /no resid-mid values for layer 0 \(keep residuals\)/,
      );
    });

    it('splices at residual points: unchanged costs nothing; resid-post of one layer is resid-pre of the next', () => {
      const { model, reference } = loadFixture();
      const sequences = reference.held_out_tokens.slice(0, 2);
      const clean = languageModelLoss(model, sequences).loss;
      for (const point of ['resid-pre', 'resid-mid', 'resid-post'] as const) {
        expect(languageModelLoss(model, sequences, { layer: 1, point, replace: (v) => v }).loss).toBe(clean);
      }
      const halve = (v: Float64Array) => v.map((value) => value / 2);
      const afterLayer0 = languageModelLoss(model, sequences, {
        layer: 0,
        point: 'resid-post',
        replace: halve,
      });
      const beforeLayer1 = languageModelLoss(model, sequences, {
        layer: 1,
        point: 'resid-pre',
        replace: halve,
      });
      expect(afterLayer0.loss).toBe(beforeLayer1.loss);
      expect(afterLayer0.loss).not.toBe(clean);
    });
  },
);

describe.skipIf(!HAS_FIXTURE)('sampleTokens', () => {
  it('temperature 0 follows the argmax; a seed fixes a sample; top-k 1 equals greedy', async () => {
    const { sampleTokens } = await import('./language-model-sampling.js');
    const { model, reference } = loadFixture();
    const prompt = (reference.held_out_tokens[0] as number[]).slice(0, 6);
    const greedy = sampleTokens(model, prompt, { count: 5, temperature: 0 });
    const logits = languageModelLogits(model, prompt);
    const last = Array.from(logits.subarray(5 * model.vocabSize, 6 * model.vocabSize));
    expect(greedy[0]).toBe(last.indexOf(Math.max(...last)));
    expect(sampleTokens(model, prompt, { count: 5, topK: 1, seed: 3 })).toEqual(greedy);
    const a = sampleTokens(model, prompt, { count: 8, seed: 7 });
    expect(sampleTokens(model, prompt, { count: 8, seed: 7 })).toEqual(a);
    expect(a.every((token) => token >= 0 && token < model.vocabSize)).toBe(true);
  });
});
