// `bilinear decompose` reads a model the way its file says: gate and residual from the file's own
// config (metadata, or the config file beside it), --residual only for files that record nothing.
// The logits rebuilt from the JSON alone are checked against a numpy forward pass of the file.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_METADATA_KEY, type ModelConfig, modelConfigToJson } from '@bilinear-lab/core';
import { afterAll, describe, expect, it } from 'vitest';
import { classifierTensors, runCli, temporaryDirectory, writeModel } from '../testing/cli.js';

const INPUT_DIM = 16;
const D = 8;
const CLASSES = 3;
const directory = temporaryDirectory();
afterAll(() => directory.remove());

function configOf(residual: boolean, gate: ModelConfig['gate']): ModelConfig {
  return {
    kind: 'image-classifier',
    inputDim: INPUT_DIM,
    hiddenDim: D,
    layers: 1,
    outputDim: CLASSES,
    residual,
    gate,
    loss: 'cross-entropy',
  };
}

/** A classifier file whose metadata records `config` (none when null). */
function modelWith(name: string, config: ModelConfig | null): string {
  const metadata: Record<string, string> = config
    ? { [CONFIG_METADATA_KEY]: JSON.stringify(modelConfigToJson(config)) }
    : {};
  return writeModel(
    join(directory.path, name),
    classifierTensors({ inputDim: INPUT_DIM, d: D, classes: CLASSES, seed: 5, dtype: 'F32' }),
    metadata,
  );
}

interface OutputJson {
  index: number;
  top_positive: { eigenvalue: number; vector_input: number[] }[];
  top_negative: { eigenvalue: number; vector_input: number[] }[];
  linear_model: number[] | null;
  linear_input: number[] | null;
}

interface Result {
  model: Record<string, unknown>;
  outputs: OutputJson[];
  exactness: { against: string; passed: boolean; max_rel_error: number };
}

function decompose(args: readonly string[]): Result {
  const run = runCli(['decompose', ...args, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Result;
}

/** Logits of the file for the given images, by numpy from the raw bytes (its own safetensors reader). */
function numpyLogits(path: string, images: number[][], residual: boolean): number[][] {
  const script = [
    'import json, struct, sys',
    'import numpy as np',
    "raw = open(sys.argv[1], 'rb').read()",
    "n = struct.unpack('<Q', raw[:8])[0]",
    'header = json.loads(raw[8:8 + n])',
    'def tensor(name):',
    "    begin, end = header[name]['data_offsets']",
    "    return np.frombuffer(raw[8 + n + begin:8 + n + end], dtype='<f4').astype(np.float64).reshape(header[name]['shape'])",
    "E, B, H = tensor('embed.weight'), tensor('blocks.0.weight'), tensor('head.weight')",
    'h = B.shape[0] // 2',
    'x = np.array(json.loads(sys.argv[2])) @ E.T',
    'g = (x @ B[:h].T) * (x @ B[h:].T)',
    "if sys.argv[3] == 'residual': g = g + x",
    'print(json.dumps((g @ H.T).tolist()))',
  ].join('\n');
  const run = spawnSync(
    'python3',
    ['-c', script, path, JSON.stringify(images), residual ? 'residual' : 'plain'],
    { encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as number[][];
}

const images = [0.1, 0.5, 0.9].map((level) =>
  Array.from({ length: INPUT_DIM }, (_, j) => (level + 0.37 * j) % 1),
);

describe('bilinear decompose: the file decides', () => {
  it('a residual file is read as residual without any flag, and its JSON alone rebuilds the logits', () => {
    const path = modelWith('residual.safetensors', configOf(true, 'none'));
    const result = decompose([path, '--top-k', String(D)]);
    expect(result.model).toMatchObject({ residual: true, gate: 'none', config_source: 'metadata' });
    expect(result.exactness).toMatchObject({ against: 'file', passed: true });
    const logits = numpyLogits(path, images, true);
    images.forEach((pixels, s) => {
      for (const output of result.outputs) {
        expect(output.linear_model).toHaveLength(D);
        const dot = (v: number[]) => v.reduce((sum, value, j) => sum + value * (pixels[j] as number), 0);
        const quadratic = [...output.top_positive, ...output.top_negative].reduce(
          (sum, pair) => sum + pair.eigenvalue * dot(pair.vector_input) ** 2,
          0,
        );
        const rebuilt = quadratic + dot(output.linear_input ?? []);
        const expected = logits[s]?.[output.index] as number;
        expect(Math.abs(rebuilt - expected)).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected)));
      }
    });
  });

  it('a gated file is refused with exit 2 and the reason, whatever the flags', () => {
    const path = modelWith('gated.safetensors', configOf(true, 'relu'));
    for (const extra of [[], ['--residual']]) {
      const run = runCli(['decompose', path, ...extra]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `bilinear: ${path}: gate relu: the block is not bilinear, its outputs are not quadratic forms of its input\n`,
      );
    }
  });

  it('--residual contradicting the file is an input error naming both', () => {
    const path = modelWith('plain.safetensors', configOf(false, 'none'));
    const run = runCli(['decompose', path, '--residual']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(path);
    expect(run.stderr).toContain(
      'says the blocks are not residual; declaring residual = true contradicts it',
    );
  });

  it('a bare file: --residual declares what the weights cannot tell, and the summary says so', () => {
    const path = modelWith('bare.safetensors', null);
    const plain = runCli(['decompose', path]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(
      '(hidden 8; bilinear, not residual) → 3 classes (assumed: the file records no config)',
    );
    const declared = decompose([path, '--residual']);
    expect(declared.model).toMatchObject({ residual: true, config_source: 'declared' });
    expect(declared.outputs.every((output) => output.linear_model !== null)).toBe(true);
    const summary = runCli(['decompose', path, '--residual']);
    expect(summary.stdout).toContain('Σ λ (vᵀx)² + aᵀx');
    expect(summary.stdout).toContain("match the file's own forward pass");
  });

  it('the config file beside a bare file decides, found by name or given with --config', () => {
    const path = modelWith('beside.safetensors', null);
    writeFileSync(`${path}.config.json`, JSON.stringify(modelConfigToJson(configOf(true, 'none'))));
    expect(decompose([path]).model).toMatchObject({ residual: true, config_source: 'config-file' });

    const elsewhere = join(directory.path, 'gelu.json');
    writeFileSync(elsewhere, JSON.stringify(modelConfigToJson(configOf(false, 'gelu'))));
    const bare = modelWith('bare2.safetensors', null);
    const run = runCli(['decompose', bare, '--config', elsewhere]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('gate gelu: the block is not bilinear');

    writeFileSync(elsewhere, '{"architecture": "bilinear-image-classifier", "d_input": 16');
    const broken = runCli(['decompose', bare, '--config', elsewhere]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`${elsewhere}: not valid JSON`);
  });
});

describe('the reproduction of issue 9: train a gated residual model, then decompose it', () => {
  it('refuses with exit 2; `bilinear inspect` shows the gate and residual read from the file', () => {
    const out = join(directory.path, 'm.safetensors');
    const train = runCli([
      'train',
      '--dataset',
      'mnist',
      '--hidden',
      '16',
      '--residual',
      '--gate',
      'relu',
      '--epochs',
      '1',
      '--out',
      out,
    ]);
    expect(train.code, train.stderr).toBe(0);
    const run = runCli(['decompose', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'gate relu: the block is not bilinear, its outputs are not quadratic forms of its input',
    );
    const inspect = runCli(['inspect', out]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/gate relu, residual/);
    expect(inspect.stdout).toContain("read from the file's metadata");
  }, 120_000);
});
