import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  classifierTensors,
  EXAMPLE_MODEL,
  FIXTURE_DIR,
  languageModelTensors,
  runCli,
  temporaryDirectory,
  writeModel,
} from '../testing/cli.js';

interface InspectJson {
  file: string;
  bytes: number;
  header_bytes: number;
  metadata: Record<string, string>;
  tensors: {
    name: string;
    dtype: string;
    shape: number[];
    elements: number;
    bytes: number;
    data_offsets: [number, number];
  }[];
  elements: number;
  layout: Record<string, unknown> | null;
  layout_error: { code: string; message: string } | null;
}

const directory = temporaryDirectory();
afterAll(() => directory.remove());

function inspectJson(path: string): InspectJson {
  const run = runCli(['inspect', path, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as InspectJson;
}

describe('bilinear inspect', () => {
  const classifier = () =>
    writeModel(
      join(directory.path, 'classifier.safetensors'),
      classifierTensors({ inputDim: 16, d: 6, classes: 3, blocks: 2, dtype: 'F32' }),
      { trained_by: 'a test', epochs: '3' },
    );

  it('lists tensors, dtypes, shapes, byte sizes, metadata and the layout as text', () => {
    const path = classifier();
    const run = runCli(['inspect', path]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`file      ${path}`);
    expect(run.stdout).toContain('trained_by = a test');
    expect(run.stdout).toContain('epochs = 3');
    expect(run.stdout).toMatch(/embed\.weight\s+F32\s+\[6,16\]\s+96\s+384/);
    expect(run.stdout).toMatch(/blocks\.1\.weight\s+F32\s+\[12,6\]\s+72\s+288/);
    expect(run.stdout).toMatch(/head\.weight\s+F32\s+\[3,6\]\s+18\s+72/);
    expect(run.stdout).toContain(
      'layout    image-classifier: 16 inputs (4×4 image) → d = 6, 2 blocks (hidden 6; bilinear) → 3 classes',
    );
  });

  it('prints the same facts as one JSON document with --json', () => {
    const path = classifier();
    const report = inspectJson(path);
    expect(report.bytes).toBe(readFileSync(path).length);
    expect(report.metadata).toEqual({ trained_by: 'a test', epochs: '3' });
    const names = report.tensors.map((t) => t.name).sort();
    expect(names).toEqual(['blocks.0.weight', 'blocks.1.weight', 'embed.weight', 'head.weight']);
    for (const t of report.tensors) {
      expect(t.dtype).toBe('F32');
      expect(t.bytes).toBe(t.elements * 4);
      expect(t.data_offsets[1] - t.data_offsets[0]).toBe(t.bytes);
    }
    expect(report.elements).toBe(96 + 2 * 72 + 18);
    // 8-byte length prefix + header + data = the file.
    expect(8 + report.header_bytes + report.tensors.reduce((sum, t) => sum + t.bytes, 0)).toBe(report.bytes);
    expect(report.layout).toEqual({
      name: 'image-classifier',
      input_dim: 16,
      image_shape: [4, 4],
      model_dim: 6,
      hidden_dim: 6,
      blocks: 2,
      classes: 3,
      residual: false,
      gate: 'none',
      config_source: 'default',
      config_file: null,
    });
    expect(report.layout_error).toBeNull();
  });

  it('recognises the language-model layout', () => {
    const path = writeModel(
      join(directory.path, 'lm.safetensors'),
      languageModelTensors({ vocab: 11, d: 4, hidden: 5, layers: 3 }),
    );
    expect(inspectJson(path).layout).toEqual({
      name: 'language-model',
      vocab_size: 11,
      model_dim: 4,
      hidden_dim: 5,
      layers: 3,
      gate: 'none',
      config_source: 'default',
      config_file: null,
    });
  });

  it('explains why a file holds no known layout, and still succeeds', () => {
    const path = writeModel(join(directory.path, 'other.safetensors'), [
      { name: 'conv.weight', dtype: 'F64', shape: [2, 2], data: [1, 2, 3, 4] },
    ]);
    const report = inspectJson(path);
    expect(report.layout).toBeNull();
    expect(report.layout_error?.code).toBe('unknown-layout');
    expect(report.layout_error?.message).toContain('conv.weight [2,2] F64');
    const text = runCli(['inspect', path]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('layout    none: cannot recognise the model');
    expect(text.stdout).toContain('Expected one of:');
  });

  it('exits 2 on a missing, truncated, malformed or directory path, naming it', () => {
    const missing = join(directory.path, 'missing.safetensors');
    const missingRun = runCli(['inspect', missing]);
    expect(missingRun.code).toBe(2);
    expect(missingRun.stderr).toBe(`bilinear: ${missing}: no such file or directory\n`);

    const truncated = join(directory.path, 'truncated.safetensors');
    writeFileSync(truncated, readFileSync(classifier()).subarray(0, 40));
    const truncatedRun = runCli(['inspect', truncated]);
    expect(truncatedRun.code).toBe(2);
    expect(truncatedRun.stderr).toMatch(
      /^bilinear: .*truncated\.safetensors: header length \d+ runs past the end/,
    );

    const garbage = join(directory.path, 'garbage.safetensors');
    const header = Buffer.from('{"a": not json}');
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32LE(header.length, 0);
    writeFileSync(garbage, Buffer.concat([prefix, header]));
    const garbageRun = runCli(['inspect', garbage]);
    expect(garbageRun.code).toBe(2);
    expect(garbageRun.stderr).toContain(`bilinear: ${garbage}: header is not valid JSON`);

    const folder = join(directory.path, 'folder.safetensors');
    mkdirSync(folder);
    const folderRun = runCli(['inspect', folder]);
    expect(folderRun.code).toBe(2);
    expect(folderRun.stderr).toBe(`bilinear: ${folder}: is a directory, not a file\n`);
  });

  it('inspects the example model the repository carries, with the config file beside it', () => {
    const report = inspectJson(EXAMPLE_MODEL);
    expect(report.layout).toMatchObject({
      name: 'image-classifier',
      model_dim: 64,
      classes: 10,
      residual: false,
      gate: 'none',
      config_source: 'config-file',
      config_file: `${EXAMPLE_MODEL}.config.json`,
    });
  });
});

const FIXTURE = join(FIXTURE_DIR, 'torch_mnist_d64.safetensors');

describe.skipIf(!existsSync(FIXTURE))('bilinear inspect on the PyTorch fixture', () => {
  it('shows the reference layout: embed [64,784], blocks.0 [128,64], head [10,64], F32', () => {
    const report = inspectJson(FIXTURE);
    expect(report.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['embed.weight', 'F32', [64, 784]],
      ['blocks.0.weight', 'F32', [128, 64]],
      ['head.weight', 'F32', [10, 64]],
    ]);
    expect(report.layout).toEqual({
      name: 'image-classifier',
      input_dim: 784,
      image_shape: [28, 28],
      model_dim: 64,
      hidden_dim: 64,
      blocks: 1,
      classes: 10,
      residual: false,
      gate: 'none',
      config_source: 'default',
      config_file: null,
    });
    // The example model is a copy of this fixture.
    expect(readFileSync(EXAMPLE_MODEL).equals(readFileSync(FIXTURE))).toBe(true);
  });
});
