import { seededRandom, writeSafetensors } from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../checkpoint/errors.js';
import { runOnWasmBackend } from '../testing/wasm-backend.js';
import { readLanguageModelCheckpoint, writeLanguageModelCheckpoint } from './checkpoint.js';
import { languageModelShape } from './model-shape.js';
import { type LanguageModelTrainingState, trainLanguageModel } from './train-language-model.js';

runOnWasmBackend();

const random = seededRandom(3);
const DATA = {
  train: Int32Array.from({ length: 3000 }, () => Math.floor(random() * 20)),
  validation: Int32Array.from({ length: 300 }, () => Math.floor(random() * 20)),
};
const OPTIONS = {
  shape: {
    ...languageModelShape({ vocabSize: 20, modelDim: 8, hiddenDim: 12, layers: 2, heads: 2, context: 10 }),
    gate: 'relu' as const,
  },
  batchSize: 4,
  steps: 9,
  learningRate: 3e-3,
  warmupSteps: 2,
  weightDecay: 0.1,
  seed: 8,
  evaluateEvery: 3,
};

describe('language-model checkpoints', () => {
  it('round-trip the state bit for bit, and a run resumed from the file ends where the whole run does', async () => {
    let saved: LanguageModelTrainingState | undefined;
    const whole = await trainLanguageModel(DATA, OPTIONS, {
      checkpointEvery: 4,
      onCheckpoint: (state) => {
        saved ??= state;
      },
    });
    if (saved === undefined) throw new Error('no checkpoint');
    const run = { dataset: 'text:corpus.txt', tokenizer: { model: { type: 'WordPiece' } } };
    const read = readLanguageModelCheckpoint(writeLanguageModelCheckpoint({ state: saved, run }));
    expect(read.run).toEqual(run);
    expect(read.state.step).toBe(4);
    expect(read.state.options).toEqual(OPTIONS);
    expect(read.state.evaluations).toEqual(saved.evaluations);
    expect(read.state.optimizer.step).toBe(4);
    read.state.parameters.forEach((parameter, i) => {
      expect(parameter.values).toEqual(saved?.parameters[i]?.values);
      expect(read.state.optimizer.m[i]?.values).toEqual(saved?.optimizer.m[i]?.values);
      expect(read.state.optimizer.v[i]?.values).toEqual(saved?.optimizer.v[i]?.values);
    });
    const resumed = await trainLanguageModel(DATA, read.state.options, {}, read.state);
    resumed.state.parameters.forEach((parameter, i) => {
      expect(parameter.values).toEqual(whole.state.parameters[i]?.values);
    });
    expect(resumed.state.evaluations).toEqual(whole.state.evaluations);
  });

  it('refuses a file that is not a language-model checkpoint', () => {
    const bytes = writeSafetensors([{ name: 'x', dtype: 'F32', shape: [1], data: [0] }]);
    expect(() => readLanguageModelCheckpoint(bytes)).toThrow(CheckpointError);
    expect(() => readLanguageModelCheckpoint(bytes)).toThrow(/not a language-model checkpoint/);
  });
});
