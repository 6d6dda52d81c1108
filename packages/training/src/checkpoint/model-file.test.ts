import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import {
  classifierLogits,
  importModel as importForAnalysis,
  type ModelConfig,
  ModelConfigError,
  modelConfigToJson,
  parseSafetensors,
  referenceShapes,
  SafetensorsError,
  seededGaussian,
  tensorBytes,
  writeSafetensors,
} from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.js';
import { readModelFile, writeModelFile } from './model-file.js';

const EXAMPLE = new URL('../../../../examples/mnist-d64.safetensors', import.meta.url);
const TORCH_PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

const classifier: ModelConfig = {
  kind: 'image-classifier',
  inputDim: 20,
  hiddenDim: 16,
  layers: 2,
  outputDim: 5,
  residual: true,
  gate: 'none',
  loss: 'cross-entropy',
};
const toy: ModelConfig = {
  kind: 'toy',
  inputDim: 4,
  hiddenDim: 6,
  layers: 1,
  outputDim: 6,
  residual: false,
  gate: 'none',
  loss: 'mse',
};

function randomParameters(config: ModelConfig, seed: number) {
  const gaussian = seededGaussian(seed);
  return referenceShapes(config).map(({ name, shape }) => ({
    name,
    shape,
    values: Float32Array.from({ length: shape[0] * shape[1] }, () => gaussian() / Math.sqrt(shape[1])),
  }));
}

type Tensor = ReturnType<typeof randomParameters>[number];

function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
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

describe('writeModelFile → readModelFile', () => {
  it('round-trips config, training record and weights bit for bit, edge values included', () => {
    const parameters = randomParameters(classifier, 1);
    const head = parameters[3]?.values as Float32Array;
    // -0, the smallest subnormal, the largest float32, the smallest normal, a NaN-free odd pattern.
    head.set([-0, 1e-45, 3.4028234663852886e38, -1.1754943508222875e-38, Math.fround(1 / 3)]);
    const training = { epochs: 20, lr: 1e-3, weightDecay: 0.5, testAccuracy: 0.9731 };
    const { safetensors } = writeModelFile({ config: classifier, parameters, training });

    const imported = readModelFile(safetensors);
    expect(imported.configSource).toBe('metadata');
    expect(imported.config).toEqual(classifier);
    expect(imported.training).toEqual(training);
    expect(imported.parameters.map(({ name, shape }) => ({ name, shape }))).toEqual(
      parameters.map(({ name, shape }) => ({ name, shape })),
    );
    imported.parameters.forEach(({ values }, i) => {
      expect(bits(values)).toEqual(bits(parameters[i]?.values as Float32Array));
    });
    expect(Object.is(imported.parameters[3]?.values[0], -0)).toBe(true);
  });

  it('writes the JSON config to its own file text and to the safetensors metadata', () => {
    const { safetensors, configJson } = writeModelFile({ config: toy, parameters: randomParameters(toy, 2) });
    expect(configJson.endsWith('\n')).toBe(true);
    const json = JSON.parse(configJson);
    expect(json).toEqual({
      architecture: 'bilinear-toy',
      d_input: 4,
      d_hidden: 6,
      n_layer: 1,
      d_output: 6,
      residual: false,
      gate: 'none',
      loss: 'mse',
      training: {},
    });
    const file = parseSafetensors(safetensors);
    expect(JSON.parse(file.metadata.bilinear_lab_config as string)).toEqual(json);
    expect([...file.tensors.values()].map(({ name, dtype, shape }) => ({ name, dtype, shape }))).toEqual([
      { name: 'blocks.0.weight', dtype: 'F32', shape: [12, 4] },
      { name: 'head.weight', dtype: 'F32', shape: [6, 6] },
    ]);
  });

  it('infers the config from shapes when a file has no metadata (toy and classifier)', () => {
    for (const config of [toy, classifier]) {
      const parameters = randomParameters(config, 3);
      const bytes = writeSafetensors(
        parameters.map(({ name, shape, values }) => ({ name, dtype: 'F32', shape, data: values })),
      );
      const imported = readModelFile(bytes);
      expect(imported.configSource).toBe('shapes');
      expect(imported.config).toEqual({ ...config, residual: false });
      imported.parameters.forEach(({ values }, i) => {
        expect(bits(values)).toEqual(bits(parameters[i]?.values as Float32Array));
      });
    }
  });

  it('rounds F64 weights to float32', () => {
    const [blocks, head] = referenceShapes(toy);
    const data = Float64Array.from({ length: 48 }, (_, i) => 0.1 * i);
    const bytes = writeSafetensors([
      { name: 'blocks.0.weight', dtype: 'F64', shape: blocks?.shape as [number, number], data },
      {
        name: 'head.weight',
        dtype: 'F64',
        shape: head?.shape as [number, number],
        data: new Float64Array(36),
      },
    ]);
    expect(Array.from(readModelFile(bytes).parameters[0]?.values as Float32Array)).toEqual(
      Array.from(data, Math.fround),
    );
  });
});

describe.skipIf(!existsSync(EXAMPLE))(
  'readModelFile on the PyTorch-trained example (examples/mnist-d64)',
  () => {
    it('infers the one-layer d = 64 classifier and reads every weight bit for bit', () => {
      const bytes = new Uint8Array(readFileSync(EXAMPLE));
      const imported = readModelFile(bytes);
      expect(imported.configSource).toBe('shapes');
      expect(imported.config).toEqual({
        kind: 'image-classifier',
        inputDim: 784,
        hiddenDim: 64,
        layers: 1,
        outputDim: 10,
        residual: false,
        gate: 'none',
        loss: 'cross-entropy',
      });
      const file = parseSafetensors(bytes);
      for (const { name, values } of imported.parameters) {
        const raw = tensorBytes(file, name).slice();
        expect(bits(values)).toEqual(Array.from(new Uint32Array(raw.buffer)));
      }
      // Re-exported, it stays the same model.
      const again = readModelFile(writeModelFile(imported).safetensors);
      again.parameters.forEach(({ values }, i) => {
        expect(bits(values)).toEqual(bits(imported.parameters[i]?.values as Float32Array));
      });
    });
  },
);

describe('readModelFile errors name the tensor', () => {
  /** Parameters of `config`, changed by `change`, written with the config of `config` in the metadata. */
  const exported = (config: ModelConfig, change: (tensors: ReturnType<typeof randomParameters>) => void) => {
    const parameters = randomParameters(config, 4);
    change(parameters);
    return writeSafetensors(
      parameters.map(({ name, shape, values }) => ({ name, dtype: 'F32', shape, data: values })),
      { bilinear_lab_config: JSON.stringify(modelConfigToJson(config)) },
    );
  };

  it('wrong shape, against the stored config', () => {
    const bytes = exported(classifier, (tensors) => {
      const head = tensors[3] as (typeof tensors)[number];
      head.shape = [5, 15];
      head.values = head.values.subarray(0, 75);
    });
    const error = caught(() => readModelFile(bytes));
    expect(error.code).toBe('wrong-shape');
    expect(error.tensor).toBe('head.weight');
    expect(error.message).toMatch(
      /"head.weight" has shape \[5, 15\] but the config \(from __metadata__.bilinear_lab_config: .*\) needs \[5, 16\]/,
    );
  });

  it('missing and unexpected tensors', () => {
    const missing = caught(() => readModelFile(exported(classifier, (tensors) => tensors.splice(1, 1))));
    expect(missing.code).toBe('missing-tensor');
    expect(missing.tensor).toBe('blocks.0.weight');

    const extra = caught(() =>
      readModelFile(
        exported(toy, (tensors) =>
          tensors.push({ name: 'head.bias', shape: [6, 1], values: new Float32Array(6) }),
        ),
      ),
    );
    expect(extra.code).toBe('unexpected-tensor');
    expect(extra.tensor).toBe('head.bias');
  });

  it('malformed metadata config', () => {
    const bytes = writeSafetensors([], { bilinear_lab_config: '{"architecture":"bilinear-toy"}' });
    const error = caught(() => readModelFile(bytes));
    expect(error.code).toBe('invalid-metadata');
    expect(error.message).toContain('__metadata__.bilinear_lab_config: "d_input" must be an integer ≥ 1');
  });

  it('NaN weights: refused on export (with the index) and on import (core names the tensor)', () => {
    const parameters = randomParameters(toy, 5);
    (parameters[1]?.values as Float32Array)[7] = Number.NaN;
    const error = caught(() => writeModelFile({ config: toy, parameters }));
    expect(error.code).toBe('non-finite');
    expect(error.message).toContain('"head.weight" is NaN at index 7 ([1, 1])');

    const bytes = writeSafetensors(
      parameters.map(({ name, shape, values }) => ({ name, dtype: 'F32', shape, data: values })),
    );
    expect(() => readModelFile(bytes)).toThrow(SafetensorsError);
    expect(() => readModelFile(bytes)).toThrow(/head.weight/);
  });

  it('export checks names and sizes against the config', () => {
    const [blocks, head] = randomParameters(toy, 6) as [Tensor, Tensor];
    const wrongSize = caught(() =>
      writeModelFile({
        config: toy,
        parameters: [blocks, { name: 'head.weight', values: new Float32Array(35) }],
      }),
    );
    expect(wrongSize.message).toContain('"head.weight" has 35 values, the reference layout needs [6, 6]');
    const renamed = caught(() =>
      writeModelFile({ config: toy, parameters: [blocks, { ...head, name: 'out.weight' }] }),
    );
    expect(renamed.message).toContain('"out.weight" has no place in the reference layout');
  });
});

/** An independent reader: the header parsed by hand, raw float32 bits by numpy. */
const NUMPY_READER = `
import sys, json, struct, numpy as np
data = sys.stdin.buffer.read()
n = struct.unpack('<Q', data[:8])[0]
header = json.loads(data[8:8 + n])
meta = header.pop('__metadata__', {})
out = {'config': json.loads(meta['bilinear_lab_config']), 'tensors': {}}
for name, t in header.items():
    a, b = t['data_offsets']
    arr = np.frombuffer(data[8 + n + a:8 + n + b], dtype='<f4').reshape(t['shape'])
    out['tensors'][name] = {'dtype': t['dtype'], 'shape': list(arr.shape), 'bits': arr.view('<u4').ravel().tolist()}
print(json.dumps(out))
`;

/** The reference PyTorch module built from the JSON config, loaded strictly, run in float64. */
const TORCH_MODEL = `
import sys, json, struct, torch
from torch import nn
data = sys.stdin.buffer.read()
n = struct.unpack('<Q', data[:8])[0]
header = json.loads(data[8:8 + n])
cfg = json.loads(header.pop('__metadata__')['bilinear_lab_config'])
state = {k: torch.frombuffer(bytearray(data[8 + n + t['data_offsets'][0]:8 + n + t['data_offsets'][1]]), dtype=torch.float32).reshape(t['shape']) for k, t in header.items()}
class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['d_hidden']
        self.residual = c['residual']
        self.embed = nn.Linear(c['d_input'], d, bias=False)
        self.blocks = nn.ModuleList([nn.Linear(d, 2 * d, bias=False) for _ in range(c['n_layer'])])
        self.head = nn.Linear(d, c['n_classes'], bias=False)
    def forward(self, x):
        x = self.embed(x)
        for block in self.blocks:
            w, v = block(x).chunk(2, dim=-1)
            x = x + w * v if self.residual else w * v
        return self.head(x)
model = Model(cfg)
model.load_state_dict(state, strict=True)
x = torch.linspace(0, 1, cfg['d_input'], dtype=torch.float64)
print(json.dumps(model.double()(x).tolist()))
`;

describe('the exported file read by other tools', () => {
  const parameters = randomParameters(classifier, 7);
  const { safetensors } = writeModelFile({ config: classifier, parameters });

  it('numpy reads the same float32 bits and the config from the metadata', () => {
    const out = JSON.parse(
      execFileSync('python3', ['-c', NUMPY_READER], { input: safetensors, encoding: 'utf8' }),
    ) as {
      config: Record<string, unknown>;
      tensors: Record<string, { dtype: string; shape: number[]; bits: number[] }>;
    };
    expect(out.config).toMatchObject({ architecture: 'bilinear-image-classifier', d_input: 20, n_layer: 2 });
    expect(Object.keys(out.tensors).sort()).toEqual(parameters.map(({ name }) => name).sort());
    for (const { name, shape, values } of parameters) {
      expect(out.tensors[name]).toEqual({ dtype: 'F32', shape, bits: bits(values) });
    }
  });

  it.skipIf(!hasTorch)('PyTorch loads it into the reference module (strict) and gets our logits', () => {
    const logits = JSON.parse(
      execFileSync(TORCH_PYTHON, ['-c', TORCH_MODEL], { input: safetensors, encoding: 'utf8' }),
    ) as number[];
    const model = importForAnalysis(parseSafetensors(safetensors), { residual: true });
    if (model.layout !== 'image-classifier') throw new Error('expected an image classifier');
    const input = Array.from({ length: 20 }, (_, i) => i / 19);
    const ours = classifierLogits(model, input);
    logits.forEach((value, c) => {
      expect(Math.abs((ours[c] as number) - value)).toBeLessThan(1e-12 * Math.max(1, Math.abs(value)));
    });
  });
});
