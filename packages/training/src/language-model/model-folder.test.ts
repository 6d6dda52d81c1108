import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importModel, languageModelLoss, parseSafetensors, seededRandom } from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { runOnWasmBackend } from '../testing/wasm-backend.js';
import { initialLanguageModelParameters } from './initial-parameters.js';
import { languageModelFolderFiles, readLanguageModelFolderFiles } from './model-folder.js';
import { type LanguageModelShape, languageModelShape } from './model-shape.js';
import { meanLoss } from './train-language-model.js';

const FIXTURES = new URL('../../../../../shared/fixtures/lm/', import.meta.url);
const HAS_FIXTURE = existsSync(new URL('lm_dev/model.safetensors', FIXTURES));
const TORCH_PYTHON = '/usr/bin/python3';
const HAS_TORCH = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const TORCH_REFERENCE = fileURLToPath(new URL('torch_reference.py', import.meta.url));

runOnWasmBackend();

const FIXTURE_SHAPE = languageModelShape({
  vocabSize: 768,
  modelDim: 48,
  hiddenDim: 128,
  layers: 2,
  heads: 4,
  context: 48,
});

function headerOf(bytes: Uint8Array) {
  const file = parseSafetensors(bytes);
  return [...file.tensors.values()]
    .map((info) => ({ name: info.name, dtype: info.dtype, shape: info.shape }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('the HF model folder', () => {
  it.skipIf(!HAS_FIXTURE)(
    `has config.json and model.safetensors exactly as the PyTorch fixture lm_dev does${HAS_FIXTURE ? '' : ' (skipped: no ../shared/fixtures/lm)'}`,
    () => {
      const files = languageModelFolderFiles(FIXTURE_SHAPE, initialLanguageModelParameters(FIXTURE_SHAPE, 1));
      const fixtureConfig = JSON.parse(readFileSync(new URL('lm_dev/config.json', FIXTURES), 'utf8'));
      // Same keys in the same order, same values.
      expect(Object.entries(JSON.parse(files.configJson))).toEqual(Object.entries(fixtureConfig));
      const fixture = new Uint8Array(readFileSync(new URL('lm_dev/model.safetensors', FIXTURES)));
      expect(headerOf(files.safetensors)).toEqual(headerOf(fixture));
      expect(parseSafetensors(files.safetensors).metadata).toEqual({ format: 'pt' });
      // The rotary buffer equals PyTorch's float32 computation bit for bit.
      const mine = readLanguageModelFolderFiles(files.safetensors, files.configJson).inverseFrequencies;
      const theirs = readLanguageModelFolderFiles(fixture, JSON.stringify(fixtureConfig)).inverseFrequencies;
      expect(mine).toEqual(theirs);
    },
  );

  it('reads back bit for bit, with every setting of the config', () => {
    const shape: LanguageModelShape = {
      ...languageModelShape({ vocabSize: 11, modelDim: 8, hiddenDim: 5, layers: 3, heads: 2, context: 9 }),
      gate: 'silu',
      scaleAttention: false,
      normalization: false,
    };
    const parameters = initialLanguageModelParameters(shape, 9);
    const files = languageModelFolderFiles(shape, parameters);
    expect(JSON.parse(files.configJson)).toMatchObject({
      gate: 'silu',
      scale_attn: false,
      normalization: false,
    });
    const read = readLanguageModelFolderFiles(files.safetensors, files.configJson);
    expect(read.shape).toEqual(shape);
    read.parameters.forEach((parameter, i) => {
      expect(parameter.name).toBe(parameters[i]?.name);
      expect(parameter.values).toEqual(parameters[i]?.values);
    });
  });

  it('refuses a config whose shapes the tensors do not have, naming the tensor', () => {
    const files = languageModelFolderFiles(FIXTURE_SHAPE, initialLanguageModelParameters(FIXTURE_SHAPE, 1));
    const wrong = JSON.stringify({ ...JSON.parse(files.configJson), d_hidden: 64 });
    expect(() => readLanguageModelFolderFiles(files.safetensors, wrong)).toThrow(
      /"transformer\.h\.0\.mlp\.w\.weight" has shape \[256, 48\]; config\.json gives \[128, 48\]/,
    );
  });

  it.skipIf(!HAS_TORCH)(
    `loads into make_lm.py's PyTorch module with load_state_dict(strict=True) and scores as the core and tfjs do${HAS_TORCH ? '' : ' (skipped: /usr/bin/python3 cannot import torch)'}`,
    () => {
      const directory = mkdtempSync(join(tmpdir(), 'bilinear-lm-folder-'));
      try {
        const variants: LanguageModelShape[] = [
          languageModelShape({
            vocabSize: 50,
            modelDim: 16,
            hiddenDim: 24,
            layers: 2,
            heads: 4,
            context: 12,
          }),
          {
            ...languageModelShape({
              vocabSize: 30,
              modelDim: 12,
              hiddenDim: 10,
              layers: 1,
              heads: 2,
              context: 7,
            }),
            gate: 'gelu',
            scaleAttention: false,
          },
        ];
        for (const [index, shape] of variants.entries()) {
          const parameters = initialLanguageModelParameters(shape, 11 + index);
          const files = languageModelFolderFiles(shape, parameters);
          writeFileSync(join(directory, 'config.json'), files.configJson);
          writeFileSync(join(directory, 'model.safetensors'), files.safetensors);
          const random = seededRandom(5);
          const sequences = Array.from({ length: 3 }, () =>
            Array.from({ length: shape.context }, () => Math.floor(random() * shape.vocabSize)),
          );
          writeFileSync(join(directory, 'tokens.json'), JSON.stringify(sequences));
          const torch = JSON.parse(
            execFileSync(
              TORCH_PYTHON,
              [TORCH_REFERENCE, 'score', directory, join(directory, 'tokens.json')],
              {
                encoding: 'utf8',
              },
            ),
          ) as { loss: number; missing: string[]; unexpected: string[] };
          expect(torch.missing).toEqual([]);
          expect(torch.unexpected).toEqual([]);
          const model = importModel(parseSafetensors(files.safetensors), { config: files.configJson });
          if (model.layout !== 'language-model') throw new Error('expected a language model');
          const exact = languageModelLoss(model, sequences).loss;
          expect(Math.abs(torch.loss - exact)).toBeLessThan(1e-12 * exact);
          const tokens = Int32Array.from(sequences.flat());
          const float32 = meanLoss(shape, parameters, { tokens, windows: 3, length: shape.context }, 3);
          expect(Math.abs(float32 - torch.loss) / torch.loss).toBeLessThan(1e-5);
        }
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  );
});
