import {
  decodeTensor,
  type ModelConfig,
  ModelConfigError,
  parseSafetensors,
  referenceShapes,
  seededGaussian,
  writeSafetensors,
} from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { AdamW } from '../optim/adamw.js';
import { CheckpointError } from './errors.js';
import { readModelFile } from './model-file.js';
import { readCheckpoint, type TrainingCheckpoint, writeCheckpoint } from './training-checkpoint.js';

const config: ModelConfig = {
  kind: 'image-classifier',
  inputDim: 12,
  hiddenDim: 8,
  layers: 2,
  outputDim: 3,
  residual: false,
  gate: 'silu',
  loss: 'cross-entropy',
};

function randomTensors(seed: number, scale = 1) {
  const gaussian = seededGaussian(seed);
  return referenceShapes(config).map(({ name, shape }) => ({
    name,
    shape,
    values: Float32Array.from({ length: shape[0] * shape[1] }, () => scale * gaussian()),
  }));
}

function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

/** A run stopped after three AdamW steps: real moments, not made-up ones. */
function stoppedRun(): { checkpoint: TrainingCheckpoint; optimizer: AdamW } {
  const parameters = randomTensors(1, 0.3);
  const optimizer = new AdamW(parameters, { weightDecay: 0.5 });
  for (let t = 0; t < 3; t++) optimizer.step(parameters, randomTensors(10 + t, 0.01), 1e-3);
  const checkpoint: TrainingCheckpoint = {
    config,
    parameters,
    optimizerState: optimizer.exportState(),
    epoch: 1,
    step: 3,
    rngState: [0x6d2b79f5, 0xffffffff, 0, 12345],
    trainingOptions: {
      hiddenDim: 8,
      layers: 2,
      epochs: 4,
      batchSize: 64,
      learningRate: 1e-3,
      weightDecay: 0.5,
      seed: 7,
    },
    history: [{ epoch: 1, trainLoss: 0.71, testAccuracy: 0.8 }],
  };
  return { checkpoint, optimizer };
}

/** The model-file error a call throws: CheckpointError, or ModelConfigError for the config's part. */
function caught(run: () => unknown): CheckpointError | ModelConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof CheckpointError || error instanceof ModelConfigError) return error;
    throw error;
  }
  throw new Error('expected a CheckpointError or ModelConfigError');
}

/** The checkpoint's tensors and metadata rewritten with some tensors dropped or replaced. */
function rewrite(
  bytes: Uint8Array,
  change: (tensors: { name: string; dtype: 'F32'; shape: number[]; data: Float64Array }[]) => void,
): Uint8Array {
  const file = parseSafetensors(bytes);
  const tensors = [...file.tensors.values()].map(({ name, shape }) => ({
    name,
    dtype: 'F32' as const,
    shape: [...shape],
    data: decodeTensor(file, name),
  }));
  change(tensors);
  return writeSafetensors(tensors, file.metadata);
}

describe('writeCheckpoint → readCheckpoint', () => {
  it('round-trips everything, tensors bit for bit', () => {
    const { checkpoint } = stoppedRun();
    const read = readCheckpoint(writeCheckpoint(checkpoint));

    expect(read.config).toEqual(config);
    expect(read.epoch).toBe(1);
    expect(read.step).toBe(3);
    expect(read.rngState).toEqual([0x6d2b79f5, 0xffffffff, 0, 12345]);
    expect(read.trainingOptions).toEqual(checkpoint.trainingOptions);
    expect(read.history).toEqual(checkpoint.history);
    expect(read.optimizerState.step).toBe(3);
    const pairs = [
      [read.parameters, checkpoint.parameters],
      [read.optimizerState.m, checkpoint.optimizerState.m],
      [read.optimizerState.v, checkpoint.optimizerState.v],
    ] as const;
    for (const [actual, expected] of pairs) {
      expect(actual.map(({ name }) => name)).toEqual(expected.map(({ name }) => name));
      actual.forEach(({ values }, i) => {
        expect(bits(values)).toEqual(bits(expected[i]?.values as Float32Array));
      });
    }
  });

  it('stores moments under optimizer.m/v.<name>, all F32, and the rest as metadata JSON', () => {
    const file = parseSafetensors(writeCheckpoint(stoppedRun().checkpoint));
    const names = referenceShapes(config).map(({ name }) => name);
    expect([...file.tensors.keys()].sort()).toEqual(
      [...names, ...names.map((n) => `optimizer.m.${n}`), ...names.map((n) => `optimizer.v.${n}`)].sort(),
    );
    expect([...file.tensors.values()].every(({ dtype }) => dtype === 'F32')).toBe(true);
    expect(JSON.parse(file.metadata.bilinear_lab_checkpoint as string)).toMatchObject({
      format: 'bilinear-lab-checkpoint',
      version: 1,
      epoch: 1,
      step: 3,
      optimizer_step: 3,
    });
  });

  it('resuming from the file continues exactly like the run that never stopped', () => {
    const { checkpoint, optimizer } = stoppedRun();
    const bytes = writeCheckpoint(checkpoint);
    const uninterrupted = checkpoint.parameters.map((p) => ({ ...p, values: p.values.slice() }));
    for (let t = 3; t < 6; t++) optimizer.step(uninterrupted, randomTensors(10 + t, 0.01), 1e-3);

    const read = readCheckpoint(bytes);
    const resumed = read.parameters;
    const fresh = new AdamW(resumed, { weightDecay: 0.5 });
    fresh.importState(read.optimizerState);
    for (let t = 3; t < 6; t++) fresh.step(resumed, randomTensors(10 + t, 0.01), 1e-3);
    resumed.forEach(({ values }, i) => {
      expect(bits(values)).toEqual(bits(uninterrupted[i]?.values as Float32Array));
    });
  });

  it('a checkpoint is also a model file: readModelFile skips the optimizer tensors', () => {
    const { checkpoint } = stoppedRun();
    const model = readModelFile(writeCheckpoint(checkpoint));
    expect(model.config).toEqual(config);
    expect(model.training).toEqual(checkpoint.trainingOptions);
    expect(model.parameters.map(({ name }) => name)).toEqual(referenceShapes(config).map(({ name }) => name));
  });

  it('accepts a string rng state and no history', () => {
    const { checkpoint } = stoppedRun();
    const read = readCheckpoint(
      writeCheckpoint({ ...checkpoint, rngState: 'pcg64:abc', history: undefined }),
    );
    expect(read.rngState).toBe('pcg64:abc');
    expect(read.history).toEqual([]);
  });
});

describe('malformed checkpoints give errors that name what is wrong', () => {
  const bytes = writeCheckpoint(stoppedRun().checkpoint);

  it('a missing optimizer tensor', () => {
    const broken = rewrite(bytes, (tensors) => {
      tensors.splice(
        tensors.findIndex(({ name }) => name === 'optimizer.v.blocks.1.weight'),
        1,
      );
    });
    const error = caught(() => readCheckpoint(broken));
    expect(error.code).toBe('missing-tensor');
    expect(error.tensor).toBe('optimizer.v.blocks.1.weight');
    expect(error.message).toBe(
      'optimizer tensor "optimizer.v.blocks.1.weight" is missing: the checkpoint holds v for 3 of 4 parameters, and resuming needs all of them',
    );
  });

  it('a moment with the wrong shape, a stray optimizer tensor, a negative second moment', () => {
    const wrongShape = rewrite(bytes, (tensors) => {
      const m = tensors.find(({ name }) => name === 'optimizer.m.head.weight');
      if (m) m.shape = [8, 3];
    });
    expect(caught(() => readCheckpoint(wrongShape)).message).toBe(
      'optimizer tensor "optimizer.m.head.weight" has shape [8, 3], but "head.weight" is [3, 8]',
    );

    const stray = rewrite(bytes, (tensors) => {
      tensors.push({ name: 'optimizer.m.head.bias', dtype: 'F32', shape: [3], data: new Float64Array(3) });
    });
    const strayError = caught(() => readCheckpoint(stray));
    expect(strayError.code).toBe('unexpected-tensor');
    expect(strayError.tensor).toBe('optimizer.m.head.bias');

    const negative = rewrite(bytes, (tensors) => {
      const v = tensors.find(({ name }) => name === 'optimizer.v.embed.weight');
      if (v) v.data[5] = -1;
    });
    expect(caught(() => readCheckpoint(negative)).message).toContain(
      '"optimizer.v.embed.weight" is -1 at index 5',
    );
  });

  it('a parameter with the wrong shape', () => {
    const broken = rewrite(bytes, (tensors) => {
      const embed = tensors.find(({ name }) => name === 'embed.weight');
      if (embed) embed.shape = [12, 8];
    });
    const error = caught(() => readCheckpoint(broken));
    expect(error.code).toBe('wrong-shape');
    expect(error.tensor).toBe('embed.weight');
  });

  it('a model file, or bad checkpoint metadata', () => {
    const modelOnly = writeSafetensors([], {});
    expect(caught(() => readCheckpoint(modelOnly)).message).toMatch(/not a training checkpoint/);

    const file = parseSafetensors(bytes);
    const metadata = JSON.parse(file.metadata.bilinear_lab_checkpoint as string);
    const withMetadata = (value: unknown) =>
      writeSafetensors(
        [...file.tensors.values()].map(({ name, shape }) => ({
          name,
          dtype: 'F32',
          shape,
          data: decodeTensor(file, name),
        })),
        { ...file.metadata, bilinear_lab_checkpoint: JSON.stringify(value) },
      );
    expect(caught(() => readCheckpoint(withMetadata({ ...metadata, epoch: -1 }))).message).toBe(
      '__metadata__.bilinear_lab_checkpoint: "epoch" must be an integer ≥ 0, got -1',
    );
    expect(caught(() => readCheckpoint(withMetadata({ ...metadata, version: 2 }))).message).toMatch(
      /version 2 is not supported/,
    );
    expect(caught(() => readCheckpoint(withMetadata({ ...metadata, rng_state: [1, 'x'] }))).code).toBe(
      'invalid-metadata',
    );
  });
});

describe('writeCheckpoint refuses what it cannot store faithfully', () => {
  const { checkpoint } = stoppedRun();

  it('moments that do not match the parameters', () => {
    const m = checkpoint.optimizerState.m.slice(1);
    expect(
      caught(() => writeCheckpoint({ ...checkpoint, optimizerState: { ...checkpoint.optimizerState, m } }))
        .message,
    ).toBe('optimizerState.m: "embed.weight" [8, 12] is missing');
  });

  it('training options that are not plain JSON', () => {
    expect(
      caught(() => writeCheckpoint({ ...checkpoint, trainingOptions: { lr: Number.NaN } })).message,
    ).toBe('trainingOptions.lr is NaN; checkpoints store it as JSON');
    expect(
      caught(() => writeCheckpoint({ ...checkpoint, trainingOptions: { weights: new Float32Array(2) } }))
        .message,
    ).toMatch(/trainingOptions.weights is a Float32Array/);
    expect(caught(() => writeCheckpoint({ ...checkpoint, epoch: 1.5 })).message).toBe(
      'epoch must be an integer ≥ 0, got 1.5',
    );
  });
});
