// Language-model decompositions against what PyTorch computed for ../shared/fixtures/lm (layer 1 of
// lm_dev): token directions, output-SAE features and the DᵀQD feature basis of an input SAE, each
// checked for exactness against the file's own forward pass on the model's real MLP inputs.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importModel } from '../model/import.js';
import { traceLanguageModel } from '../model/language-model-forward.js';
import { referenceForward } from '../model/reference-forward.js';
import { importSparseAutoencoder, type SparseAutoencoder } from '../model/sparse-autoencoder.js';
import type { LanguageModel } from '../model/types.js';
import { parseSafetensors, type SafetensorsFile } from '../safetensors/read.js';
import { decomposeModel, type OutputDecomposition } from './decompose.js';

const LM = new URL('../../../../../shared/fixtures/lm/', import.meta.url);
const HAS_FIXTURE = existsSync(new URL('lm_dev.reference.json', LM));

interface Ends {
  top8_desc: number[];
  bottom8_asc: number[];
}
interface Reference {
  layer: number;
  held_out_tokens: number[][];
  token_directions: Record<string, Ends>;
  sae_out_features: Record<string, Ends>;
  sae_in_out_features_DtQD: Record<string, Ends>;
}

function read(path: string): { file: SafetensorsFile; config: string } {
  return {
    file: parseSafetensors(new Uint8Array(readFileSync(new URL(`${path}/model.safetensors`, LM)))),
    config: readFileSync(new URL(`${path}/config.json`, LM), 'utf8'),
  };
}

function load() {
  const lm = read('lm_dev');
  const model = importModel(lm.file, { config: lm.config }) as LanguageModel;
  const sae = (name: string): SparseAutoencoder => {
    const { file, config } = read(name);
    return importSparseAutoencoder(file, { config });
  };
  const reference = JSON.parse(readFileSync(new URL('lm_dev.reference.json', LM), 'utf8')) as Reference;
  // Real normalised MLP inputs of layer 1: the held-out sequences through the model.
  const sampleInputs = Float64Array.from(
    reference.held_out_tokens.slice(0, 2).flatMap((sequence) => {
      const trace = traceLanguageModel(model, sequence, { mlp: true, logits: false });
      return Array.from(trace.mlpInputs[reference.layer] ?? []);
    }),
  );
  return {
    model,
    reference,
    saeOut: sae('sae_l1_mlp_out'),
    saeIn: sae('sae_l1_mlp_in'),
    sampleInputs,
    file: lm.file,
    config: lm.config,
  };
}

function expectEnds(output: OutputDecomposition, ends: Ends) {
  const n = output.eigenvalues.length;
  ends.top8_desc.forEach((value, i) => {
    expect(Math.abs((output.eigenvalues[i] as number) - value)).toBeLessThan(1e-5 * Math.abs(value));
  });
  ends.bottom8_asc.forEach((value, i) => {
    expect(Math.abs((output.eigenvalues[n - 1 - i] as number) - value)).toBeLessThan(1e-5 * Math.abs(value));
  });
}

describe.skipIf(!HAS_FIXTURE)(
  `language-model decompositions against PyTorch${HAS_FIXTURE ? '' : ' (skipped: ../shared/fixtures/lm is not beside the repository)'}`,
  () => {
    it('token directions Q(lm_head[t]): eigenvalues to 1e-5, exact on real MLP inputs', () => {
      const { model, reference, sampleInputs, file, config } = load();
      const tokens = Object.keys(reference.token_directions).map(Number);
      const result = decomposeModel(model, {
        layer: reference.layer,
        outputs: tokens,
        topK: 4,
        sampleInputs,
        reference: referenceForward(file, { config }),
      });
      for (const output of result.outputs)
        expectEnds(output, reference.token_directions[String(output.index)] as Ends);
      expect(result.exactness).toMatchObject({ against: 'file', passed: true, samples: 96 });
    });

    it('output-SAE features Q(w_enc[f]): eigenvalues to 1e-5, exact', () => {
      const { model, reference, saeOut, sampleInputs, file, config } = load();
      const features = Object.keys(reference.sae_out_features).map(Number);
      const result = decomposeModel(model, {
        layer: reference.layer,
        directions: { kind: 'sae-features', sae: saeOut, features },
        topK: 4,
        sampleInputs,
        reference: referenceForward(file, { config }),
      });
      expect(result.outputs.map((output) => output.label)).toEqual(features.map((f) => `feature ${f}`));
      for (const output of result.outputs)
        expectEnds(output, reference.sae_out_features[String(output.index)] as Ends);
      expect(result.exactness?.passed).toBe(true);
    });

    it('DᵀQD over the input SAE features: all F eigenvalues (F − d zeros), the nonzero ones to 1e-5, exact', () => {
      const { model, reference, saeOut, saeIn, file, config } = load();
      const features = Object.keys(reference.sae_in_out_features_DtQD).map(Number);
      const result = decomposeModel(model, {
        layer: reference.layer,
        directions: { kind: 'sae-features', sae: saeOut, features },
        inputFeatures: saeIn,
        topK: 5,
        exactnessSamples: 16,
        reference: referenceForward(file, { config }),
      });
      for (const output of result.outputs) {
        expect(output.eigenvalues).toHaveLength(saeIn.features);
        expectEnds(output, reference.sae_in_out_features_DtQD[String(output.index)] as Ends);
        const zeros = Array.from(output.eigenvalues).filter((value) => value === 0).length;
        expect(zeros).toBe(saeIn.features - model.modelDim);
        for (const pair of [...output.topPositive, ...output.topNegative]) {
          expect(pair.vectorModel).toHaveLength(saeIn.features);
          expect(pair.eigenvalue).toBe(output.eigenvalues[pair.rank]);
          const norm = Math.hypot(...pair.vectorModel);
          expect(Math.abs(norm - 1)).toBeLessThan(1e-12);
        }
      }
      expect(result.exactness?.passed).toBe(true);
      expect(result.model).toMatchObject({ input_features: saeIn.features });
    });

    it('token-minus-comparison directions are W_U[t] − mean(W_U[c]) read from the file, and exact', () => {
      const { model, sampleInputs, file, config } = load();
      const result = decomposeModel(model, {
        layer: 1,
        directions: { kind: 'tokens', tokens: [40, 41], comparison: [7, 9, 300] },
        topK: 2,
        sampleInputs,
        reference: referenceForward(file, { config }),
      });
      expect(result.outputs.map((output) => output.label)).toEqual([
        'token 40 − mean(tokens 7, 9, 300)',
        'token 41 − mean(tokens 7, 9, 300)',
      ]);
      expect(result.exactness?.passed).toBe(true);
    });
  },
);
