import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom, type TensorToWrite } from '@bilinear-lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  classifierTensors,
  FIXTURE_DIR,
  languageModelTensors,
  runCli,
  temporaryDirectory,
  writeModel,
} from '../testing/cli.js';

interface EigenpairJson {
  rank: number;
  eigenvalue: number;
  vector_model: number[];
  vector_input: number[] | null;
  top_tokens?: { id: number; weight: number }[];
  bottom_tokens?: { id: number; weight: number }[];
}

interface OutputJson {
  index: number;
  label: string;
  eigenvalues: number[];
  effective_rank: number;
  top_positive: EigenpairJson[];
  top_negative: EigenpairJson[];
  linear_model: number[] | null;
  linear_input: number[] | null;
}

interface DecompositionJson {
  model: Record<string, unknown>;
  top_k: number;
  outputs: OutputJson[];
  sign_convention: { method: string; space: string; description: string };
  exactness: {
    samples: number;
    max_rel_error: number;
    max_abs_error: number;
    against: string;
    tolerance: number;
    passed: boolean;
  } | null;
  timing: { seconds: number };
}

const INPUT_DIM = 36;
const D = 12;
const CLASSES = 5;

const directory = temporaryDirectory();
let classifierPath = '';
let classifier: TensorToWrite[] = [];

beforeAll(() => {
  classifier = classifierTensors({ inputDim: INPUT_DIM, d: D, classes: CLASSES, seed: 7 });
  classifierPath = writeModel(join(directory.path, 'classifier.safetensors'), classifier);
});
afterAll(() => directory.remove());

function decomposeJson(args: readonly string[]): DecompositionJson {
  const run = runCli(['decompose', ...args, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as DecompositionJson;
}

function tensor(
  tensors: readonly TensorToWrite[],
  name: string,
): { rows: number; cols: number; at: (i: number, j: number) => number } {
  const found = tensors.find((t) => t.name === name);
  if (!found) throw new Error(`test model has no ${name}`);
  const [rows = 0, cols = 0] = found.shape;
  return { rows, cols, at: (i, j) => found.data[i * cols + j] as number };
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);
}

function expectSchema(result: DecompositionJson, d: number, inputDim: number | null): void {
  expect(Object.keys(result)).toEqual([
    'model',
    'top_k',
    'outputs',
    'sign_convention',
    'exactness',
    'timing',
  ]);
  expect(typeof result.timing.seconds).toBe('number');
  expect(Object.keys(result.sign_convention)).toEqual(['method', 'space', 'description']);
  for (const output of result.outputs) {
    expect(Object.keys(output)).toEqual([
      'index',
      'label',
      'eigenvalues',
      'effective_rank',
      'top_positive',
      'top_negative',
      'linear_model',
      'linear_input',
    ]);
    expect(output.eigenvalues).toHaveLength(d);
    for (let i = 1; i < d; i++) {
      expect(output.eigenvalues[i] as number).toBeLessThanOrEqual(output.eigenvalues[i - 1] as number);
    }
    expect(output.effective_rank).toBeGreaterThanOrEqual(1);
    expect(output.effective_rank).toBeLessThanOrEqual(d);
    expect(output.top_positive.length).toBeLessThanOrEqual(result.top_k);
    expect(output.top_negative.length).toBeLessThanOrEqual(result.top_k);
    const pairs = [...output.top_positive, ...output.top_negative];
    for (const pair of pairs) {
      // A language model's vectors also read as tokens: the 10 largest and smallest of W_E v.
      expect(Object.keys(pair)).toEqual([
        'rank',
        'eigenvalue',
        'vector_model',
        'vector_input',
        ...(result.model.layout === 'language-model' ? ['top_tokens', 'bottom_tokens'] : []),
      ]);
      expect(pair.eigenvalue).toBe(output.eigenvalues[pair.rank]);
      expect(pair.vector_model).toHaveLength(d);
      expect(Math.abs(dot(pair.vector_model, pair.vector_model) - 1)).toBeLessThan(1e-12);
      if (inputDim === null) expect(pair.vector_input).toBeNull();
      else expect(pair.vector_input).toHaveLength(inputDim);
    }
    // Most positive first, then most negative first.
    output.top_positive.forEach((pair, i) => {
      expect(pair.eigenvalue).toBeGreaterThan(0);
      expect(pair.rank).toBe(i);
    });
    output.top_negative.forEach((pair, i) => {
      expect(pair.eigenvalue).toBeLessThan(0);
      expect(pair.rank).toBe(d - 1 - i);
    });
  }
}

describe('bilinear decompose --json on an image classifier', () => {
  it('prints one JSON document with every eigenvalue, descending, and exact reconstruction', () => {
    const result = decomposeJson([classifierPath]);
    expectSchema(result, D, INPUT_DIM);
    expect(result.top_k).toBe(32);
    expect(result.outputs.map((o) => o.index)).toEqual([0, 1, 2, 3, 4]);
    expect(result.model).toMatchObject({
      layout: 'image-classifier',
      model_dim: D,
      input_dim: INPUT_DIM,
      classes: CLASSES,
    });
    expect(result.exactness?.samples).toBe(8);
    expect(result.exactness?.max_rel_error).toBeLessThan(1e-9);
  });

  it('gives the eigenvalues numpy.linalg.eigvalsh finds for Q(e_c) = ½(Wᵀdiag(P_c)V + Vᵀdiag(P_c)W)', () => {
    const script = [
      'import json, struct, sys',
      'import numpy as np',
      "raw = open(sys.argv[1], 'rb').read()",
      "n = struct.unpack('<Q', raw[:8])[0]",
      'header = json.loads(raw[8:8 + n])',
      'def tensor(name):',
      "    begin, end = header[name]['data_offsets']",
      "    return np.frombuffer(raw[8 + n + begin:8 + n + end], dtype='<f8').reshape(header[name]['shape'])",
      "block, head = tensor('blocks.0.weight'), tensor('head.weight')",
      'h = block.shape[0] // 2',
      'W, V = block[:h], block[h:]',
      'print(json.dumps([np.linalg.eigvalsh(0.5 * (W.T @ np.diag(p) @ V + V.T @ np.diag(p) @ W))[::-1].tolist() for p in head]))',
    ].join('\n');
    const numpy = spawnSync('python3', ['-c', script, classifierPath], { encoding: 'utf8' });
    expect(numpy.status, numpy.stderr).toBe(0);
    const expected = JSON.parse(numpy.stdout) as number[][];
    const result = decomposeJson([classifierPath, '--top-k', '0']);
    result.outputs.forEach((output, c) => {
      const reference = expected[c] as number[];
      const scale = Math.max(...reference.map(Math.abs));
      output.eigenvalues.forEach((value, i) => {
        expect(Math.abs(value - (reference[i] as number))).toBeLessThan(1e-12 * scale);
      });
    });
  });

  it('returns eigenvectors that rebuild each logit as Σ λ (vᵀEx)², and read as Eᵀv in pixels', () => {
    // With --top-k d every eigenpair is returned; check them against a forward pass written here.
    const result = decomposeJson([classifierPath, '--top-k', String(D)]);
    const embed = tensor(classifier, 'embed.weight');
    const block = tensor(classifier, 'blocks.0.weight');
    const head = tensor(classifier, 'head.weight');
    const random = seededRandom(99);
    const pixels = Array.from({ length: INPUT_DIM }, () => random());
    const x = Array.from({ length: D }, (_, i) =>
      dot(
        Array.from({ length: INPUT_DIM }, (_, j) => embed.at(i, j)),
        pixels,
      ),
    );
    const wx = Array.from({ length: D }, (_, k) =>
      dot(
        Array.from({ length: D }, (_, i) => block.at(k, i)),
        x,
      ),
    );
    const vx = Array.from({ length: D }, (_, k) =>
      dot(
        Array.from({ length: D }, (_, i) => block.at(D + k, i)),
        x,
      ),
    );
    for (const output of result.outputs) {
      const logit = wx.reduce((sum, w, k) => sum + head.at(output.index, k) * w * (vx[k] as number), 0);
      const pairs = [...output.top_positive, ...output.top_negative];
      expect(pairs).toHaveLength(D);
      const rebuilt = pairs.reduce((sum, pair) => sum + pair.eigenvalue * dot(pair.vector_model, x) ** 2, 0);
      expect(Math.abs(rebuilt - logit)).toBeLessThan(1e-10 * Math.max(1, Math.abs(logit)));
      for (const pair of pairs) {
        expect(dot(pair.vector_input ?? [], pixels)).toBeCloseTo(dot(pair.vector_model, x), 10);
      }
    }
  });

  it('keeps --top-k vectors per sign and decomposes only the --outputs asked for', () => {
    const result = decomposeJson([classifierPath, '--top-k', '3', '--outputs', '4,1']);
    expectSchema(result, D, INPUT_DIM);
    expect(result.top_k).toBe(3);
    expect(result.outputs.map((o) => o.index)).toEqual([4, 1]);
    for (const output of result.outputs) {
      expect(output.top_positive.length).toBeLessThanOrEqual(3);
      expect(output.top_positive.length + output.top_negative.length).toBeGreaterThan(0);
    }
  });

  it('skips the exactness check with --samples 0 (exactness: null)', () => {
    expect(decomposeJson([classifierPath, '--samples', '0']).exactness).toBeNull();
  });

  it('stays exact with --residual (the head then also reads x linearly)', () => {
    const result = decomposeJson([classifierPath, '--residual', '--samples', '4']);
    expect(result.model.residual).toBe(true);
    expect(result.exactness?.samples).toBe(4);
    expect(result.exactness?.max_rel_error).toBeLessThan(1e-9);
  });
});

describe('bilinear decompose --out', () => {
  it('writes the same document it prints with --json, and nothing else in the directory', () => {
    const outDir = join(directory.path, 'out-ok');
    mkdirSync(outDir);
    const out = join(outDir, 'result.json');
    const run = runCli(['decompose', classifierPath, '--top-k', '4', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`wrote ${out}`);
    expect(readdirSync(outDir)).toEqual(['result.json']);
    const written = JSON.parse(readFileSync(out, 'utf8')) as DecompositionJson;
    const printed = decomposeJson([classifierPath, '--top-k', '4']);
    expect({ ...written, timing: null }).toEqual({ ...printed, timing: null });
  });

  it('leaves an existing file untouched when the decomposition fails', () => {
    const out = join(directory.path, 'kept.json');
    writeFileSync(out, '{"previous":true}\n');
    const run = runCli(['decompose', classifierPath, '--outputs', '0,99', '--out', out]);
    expect(run.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('{"previous":true}\n');
  });

  it('fails with exit 2 and leaves no temporary file when the target cannot be replaced', () => {
    const outDir = join(directory.path, 'out-blocked');
    mkdirSync(join(outDir, 'result.json'), { recursive: true });
    const run = runCli(['decompose', classifierPath, '--out', join(outDir, 'result.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^bilinear: .*result\.json: /);
    expect(readdirSync(outDir)).toEqual(['result.json']);
  });

  it('fails with exit 2 when the directory does not exist', () => {
    const out = join(directory.path, 'missing-dir', 'result.json');
    const run = runCli(['decompose', classifierPath, '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no such file or directory');
    expect(existsSync(join(directory.path, 'missing-dir'))).toBe(false);
  });
});

describe('bilinear decompose text summary', () => {
  it('prints one line per class with effective rank, eigenvalues at both ends and a sparkline', () => {
    const run = runCli(['decompose', classifierPath, '--top-k', '2']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines[0]).toContain('image-classifier');
    expect(lines.some((line) => line.startsWith('output') && line.includes('eff. rank'))).toBe(true);
    for (let c = 0; c < CLASSES; c++) {
      const line = lines.find((l) => l.startsWith(`class ${c} `));
      expect(line).toMatch(/[▁▂▃▄▅▆▇█]{12}$/);
    }
    expect(run.stdout).toMatch(/exactness: .*max relative error \d\.\d\de-\d+/);
  });
});

describe('bilinear decompose on a language model', () => {
  const lm = () =>
    writeModel(
      join(directory.path, 'lm.safetensors'),
      languageModelTensors({ vocab: 20, d: 8, hidden: 10, layers: 2 }),
    );

  it('decomposes the named tokens of the chosen layer, with vectors read in token space', () => {
    const result = decomposeJson([lm(), '--outputs', '3,17', '--layer', '1', '--top-k', '2']);
    expectSchema(result, 8, 20);
    expect(result.model).toMatchObject({ layout: 'language-model', decomposed_layer: 1 });
    expect(result.outputs.map((o) => o.label)).toEqual(['token 3', 'token 17']);
    expect(result.exactness?.max_rel_error).toBeLessThan(1e-9);
  });

  it('keeps only the token readings above 64 outputs: vector_input null, top/bottom tokens as W_E v ranks them', () => {
    const tensors = languageModelTensors({ vocab: 90, d: 8, hidden: 10, layers: 1 });
    const path = writeModel(join(directory.path, 'lm-wide.safetensors'), tensors);
    const outputs = Array.from({ length: 80 }, (_, t) => t + 5);
    const run = runCli(['decompose', path, '--outputs', outputs.join(','), '--top-k', '1', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('80 outputs: vector_input is left out (null) above 64');
    const result = JSON.parse(run.stdout) as DecompositionJson;
    expect(result.outputs.map((o) => o.index)).toEqual(outputs);
    const wte = tensor(tensors, 'transformer.wte.weight');
    const embedding = Array.from({ length: wte.rows }, (_, t) =>
      Array.from({ length: wte.cols }, (_, i) => wte.at(t, i)),
    );
    for (const output of [result.outputs[0], result.outputs[79]]) {
      const pair = output?.top_positive[0] as EigenpairJson;
      expect(pair.vector_input).toBeNull();
      // The reading is W_E v ranked: recompute it from the file's embedding and the model-space vector.
      const scores = embedding.map((row) => dot(row, pair.vector_model));
      const order = scores.map((_, t) => t).sort((a, b) => (scores[b] as number) - (scores[a] as number));
      expect(pair.top_tokens?.map((e) => e.id)).toEqual(order.slice(0, 10));
      expect(pair.bottom_tokens?.map((e) => e.id)).toEqual(order.slice(-10).reverse());
      for (const e of pair.top_tokens ?? []) expect(e.weight).toBeCloseTo(scores[e.id] as number, 12);
    }
    // The same document streamed to --out (and stdout at once), timing apart.
    const out = join(directory.path, 'wide.json');
    const both = runCli([
      'decompose',
      path,
      '--outputs',
      outputs.join(','),
      '--top-k',
      '1',
      '--json',
      '--out',
      out,
    ]);
    expect(both.code).toBe(0);
    const written = JSON.parse(readFileSync(out, 'utf8')) as DecompositionJson;
    expect({ ...written, timing: null }).toEqual({
      ...(JSON.parse(both.stdout) as DecompositionJson),
      timing: null,
    });
    expect({ ...written, timing: null }).toEqual({ ...result, timing: null });
    expect(readdirSync(directory.path).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('needs --outputs (exit 2, saying so)', () => {
    const run = runCli(['decompose', lm()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--outputs');
  });

  it('rejects a layer that does not exist and --residual (exit 2)', () => {
    const path = lm();
    const badLayer = runCli(['decompose', path, '--outputs', '1', '--layer', '2']);
    expect(badLayer.code).toBe(2);
    expect(badLayer.stderr).toContain('layer 2 does not exist');
    const residual = runCli(['decompose', path, '--outputs', '1', '--residual']);
    expect(residual.code).toBe(2);
    expect(residual.stderr).toContain('residual applies to image classifiers only');
  });
});

describe('bilinear decompose input errors exit 2 and say what and where', () => {
  it('missing file', () => {
    const path = join(directory.path, 'nope.safetensors');
    const run = runCli(['decompose', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`bilinear: ${path}: no such file or directory\n`);
  });

  it('truncated file', () => {
    const bytes = readFileSync(classifierPath);
    const short = join(directory.path, 'short.safetensors');
    writeFileSync(short, bytes.subarray(0, bytes.length - 100));
    const run = runCli(['decompose', short]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(`^bilinear: ${escapeRegExp(short)}: tensor "[^"]+": data_offsets .* truncated`),
    );
    const tiny = join(directory.path, 'tiny.safetensors');
    writeFileSync(tiny, bytes.subarray(0, 5));
    const tinyRun = runCli(['decompose', tiny]);
    expect(tinyRun.code).toBe(2);
    expect(tinyRun.stderr).toContain('8-byte header length');
  });

  it('unknown layout, listing the keys found and the layouts expected', () => {
    const path = writeModel(join(directory.path, 'other.safetensors'), [
      { name: 'encoder.weight', dtype: 'F32', shape: [4, 3], data: new Float64Array(12) },
      { name: 'decoder.bias', dtype: 'F32', shape: [3], data: new Float64Array(3) },
    ]);
    const run = runCli(['decompose', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`bilinear: ${path}: cannot recognise the model`);
    expect(run.stderr).toContain('encoder.weight [4,3] F32');
    expect(run.stderr).toContain('decoder.bias [3] F32');
    expect(run.stderr).toContain('Expected one of:');
  });

  it('inconsistent shapes and non-finite weights name the tensor', () => {
    const tensors = classifierTensors({ inputDim: 9, d: 4, classes: 3 });
    const wrong = tensors.map((t) =>
      t.name === 'head.weight' ? { ...t, shape: [3, 5], data: new Float64Array(15) } : t,
    );
    const shapes = runCli(['decompose', writeModel(join(directory.path, 'shapes.safetensors'), wrong)]);
    expect(shapes.code).toBe(2);
    expect(shapes.stderr).toContain('head.weight has shape [3,5]');
    const nan = tensors.map((t) =>
      t.name === 'blocks.0.weight'
        ? { ...t, data: Float64Array.from(t.data, (v, i) => (i === 5 ? Number.NaN : v)) }
        : t,
    );
    const nanRun = runCli(['decompose', writeModel(join(directory.path, 'nan.safetensors'), nan)]);
    expect(nanRun.code).toBe(2);
    expect(nanRun.stderr).toContain('tensor "blocks.0.weight"');
    expect(nanRun.stderr).toContain('NaN');
  });

  it.each([
    ['--top-k', '-1'],
    ['--top-k', 'abc'],
    ['--top-k', '1.5'],
    ['--samples', 'x'],
    ['--outputs', '1,,2'],
    ['--layer', '-2'],
  ])('bad flag value %s %s', (flag, value) => {
    const run = runCli(['decompose', classifierPath, flag, value]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`option '${flag}`);
    expect(run.stderr).toContain(`'${value}' is invalid`);
    expect(run.stdout).toBe('');
  });

  it('--outputs out of range or repeated, and --layer of a classifier other than its last block', () => {
    const range = runCli(['decompose', classifierPath, '--outputs', '0,5']);
    expect(range.code).toBe(2);
    expect(range.stderr).toContain(`bilinear: ${classifierPath}: class 5 is out of range`);
    const twice = runCli(['decompose', classifierPath, '--outputs', '2,2']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('listed twice');
    const layer = runCli(['decompose', classifierPath, '--layer', '1']);
    expect(layer.code).toBe(2);
    expect(layer.stderr).toContain('only its last block (0)');
  });

  it('a missing argument and an unknown flag', () => {
    expect(runCli(['decompose']).code).toBe(2);
    const unknown = runCli(['decompose', classifierPath, '--topk', '3']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--topk'");
  });
});

const FIXTURE = join(FIXTURE_DIR, 'torch_mnist_d64.safetensors');
const FIXTURE_REFERENCE = join(FIXTURE_DIR, 'torch_mnist_d64.reference.json');

describe.skipIf(!existsSync(FIXTURE) || !existsSync(FIXTURE_REFERENCE))(
  'bilinear decompose on the PyTorch fixture',
  () => {
    it('matches the eigenvalues torch.linalg.eigh computed from B_sym', () => {
      const reference = JSON.parse(readFileSync(FIXTURE_REFERENCE, 'utf8')) as {
        eigenvalues_desc_top8: number[][];
        eigenvalues_asc_bottom8: number[][];
        sum_abs_eigenvalues: number[];
      };
      const result = decomposeJson([FIXTURE, '--top-k', '8']);
      expectSchema(result, 64, 784);
      expect(result.exactness?.max_rel_error).toBeLessThan(1e-9);
      result.outputs.forEach((output, c) => {
        const top = reference.eigenvalues_desc_top8[c] as number[];
        const bottom = reference.eigenvalues_asc_bottom8[c] as number[];
        top.forEach((value, i) => {
          expect(Math.abs((output.eigenvalues[i] as number) - value)).toBeLessThan(1e-10);
        });
        bottom.forEach((value, i) => {
          expect(Math.abs((output.eigenvalues[63 - i] as number) - value)).toBeLessThan(1e-10);
        });
        const sumAbs = output.eigenvalues.reduce((sum, value) => sum + Math.abs(value), 0);
        expect(Math.abs(sumAbs - (reference.sum_abs_eigenvalues[c] as number))).toBeLessThan(1e-9);
      });
    });
  },
);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
