// SAE quality on the fixture model's held-out text: the splice machinery is checked by its ends —
// an identity "reconstruction" recovers all the loss, zeros none — and the fixture's (random,
// untrained) SAEs are measured against those ends.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importModel } from '../model/import.js';
import { languageModelLoss } from '../model/language-model-forward.js';
import { importSparseAutoencoder } from '../model/sparse-autoencoder.js';
import type { LanguageModel } from '../model/types.js';
import { parseSafetensors } from '../safetensors/read.js';
import { combineSaeQuality, reconstructRows, saeQuality } from './sae-quality.js';

const LM = new URL('../../../../../shared/fixtures/lm/', import.meta.url);
const HAS_FIXTURE = existsSync(new URL('lm_dev.reference.json', LM));

function load() {
  const read = (name: string) => ({
    file: parseSafetensors(new Uint8Array(readFileSync(new URL(`${name}/model.safetensors`, LM)))),
    config: readFileSync(new URL(`${name}/config.json`, LM), 'utf8'),
  });
  const lm = read('lm_dev');
  const sae = read('sae_l1_mlp_out');
  return {
    model: importModel(lm.file, { config: lm.config }) as LanguageModel,
    sae: importSparseAutoencoder(sae.file, { config: sae.config }),
    sequences: (JSON.parse(readFileSync(new URL('held_out_tokens.json', LM), 'utf8')) as number[][]).slice(
      0,
      2,
    ),
  };
}

describe.skipIf(!HAS_FIXTURE)(
  `SAE quality${HAS_FIXTURE ? '' : ' (skipped: ../shared/fixtures/lm is not beside the repository)'}`,
  () => {
    it('splicing the values back unchanged costs nothing; zeros cost the zero-ablation loss', () => {
      const { model, sequences } = load();
      const clean = languageModelLoss(model, sequences).loss;
      const same = languageModelLoss(model, sequences, {
        layer: 1,
        point: 'mlp-out',
        replace: (v) => v.slice(),
      }).loss;
      expect(same).toBe(clean);
      const zero = languageModelLoss(model, sequences, {
        layer: 1,
        point: 'mlp-in',
        replace: (v) => new Float64Array(v.length),
      }).loss;
      expect(zero).not.toBe(clean);
    });

    it('measures the fixture SAE: MSE is the mean squared reconstruction error, loss recovered between its ends', () => {
      const { model, sae, sequences } = load();
      const quality = saeQuality(model, sae, sequences, { layer: 1, point: 'mlp-out' });
      expect(quality.positions).toBe(96);
      expect(quality.meanActive).toBeCloseTo(16, 10);
      expect(quality.lossClean).toBe(languageModelLoss(model, sequences).loss);
      const expectedRecovered =
        (quality.lossZeroAblated - quality.lossSpliced) / (quality.lossZeroAblated - quality.lossClean);
      expect(quality.lossRecovered).toBe(expectedRecovered);
      expect(Number.isFinite(quality.mse) && quality.mse > 0).toBe(true);
      // A row reconstructs as w_dec · code + b_dec: a zero input with k = F keeps every pre-activation.
      const rebuilt = reconstructRows(sae, new Float64Array(sae.modelDim), 1);
      expect(rebuilt).toHaveLength(sae.modelDim);
    });

    it('combines the measures of parts of a text into those of the whole', () => {
      const { model, sae } = load();
      const all = JSON.parse(readFileSync(new URL('held_out_tokens.json', LM), 'utf8')) as number[][];
      const hook = { layer: 1, point: 'mlp-out' } as const;
      const whole = saeQuality(model, sae, all, hook);
      const parts = [all.slice(0, 1), all.slice(1, 3), all.slice(3)].map((part) =>
        saeQuality(model, sae, part, hook),
      );
      const combined = combineSaeQuality(parts);
      expect(combined.positions).toBe(whole.positions);
      expect(combined.totals.predicted).toBe(whole.totals.predicted);
      for (const key of [
        'mse',
        'explainedVariance',
        'meanActive',
        'lossClean',
        'lossSpliced',
        'lossZeroAblated',
        'lossRecovered',
      ] as const) {
        expect(Math.abs(combined[key] - whole[key]), key).toBeLessThan(
          1e-12 * Math.max(1, Math.abs(whole[key])),
        );
      }
      // The parts' own figures differ from the whole's: combining is not picking one.
      expect(parts[0]?.mse).not.toBe(whole.mse);
      expect(() => combineSaeQuality([])).toThrow(/no parts/);
    });
  },
);
