import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../safetensors/errors.js';
import {
  parseSafetensors,
  readSafetensorsHead,
  readSafetensorsHeader,
  type SafetensorsFile,
  safetensorsHeaderBytes,
} from '../safetensors/read.js';
import { type TensorToWrite, writeSafetensors } from '../safetensors/write.js';
import { importModel, inspectLanguageModel, ModelLayoutError, type ModelLayoutErrorCode } from './import.js';
import type { ImageClassifierModel, LanguageModel } from './types.js';

const FIXTURE = new URL('../../../../../shared/fixtures/torch_mnist_d64.safetensors', import.meta.url);

/** A [rows, cols] tensor whose entry (r, c) is offset + 100 r + c, so every row is recognisable. */
function labelled(name: string, rows: number, cols: number, offset = 0): TensorToWrite {
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = offset + 100 * r + c;
  return { name, dtype: 'F64', shape: [rows, cols], data };
}

function fileOf(tensors: TensorToWrite[]): SafetensorsFile {
  return parseSafetensors(writeSafetensors(tensors));
}

/** d = 2, in = 4 (a 2×2 image), two blocks, three classes. */
function imageTensors(): TensorToWrite[] {
  return [
    labelled('embed.weight', 2, 4),
    labelled('blocks.0.weight', 4, 2, 1000),
    labelled('blocks.1.weight', 4, 2, 2000),
    labelled('head.weight', 3, 2, 3000),
  ];
}

/** V = 5, d = 2, h = 3, two layers with attention weights present. */
function languageTensors(): TensorToWrite[] {
  return [
    labelled('transformer.wte.weight', 5, 2),
    labelled('transformer.h.0.attn.qkv.weight', 6, 2),
    labelled('transformer.h.0.attn.o.weight', 2, 2),
    labelled('transformer.h.0.mlp.w.weight', 6, 2, 1000),
    labelled('transformer.h.0.mlp.p.weight', 2, 3, 1500),
    labelled('transformer.h.1.attn.qkv.weight', 6, 2),
    labelled('transformer.h.1.attn.o.weight', 2, 2),
    labelled('transformer.h.1.mlp.w.weight', 6, 2, 2000),
    labelled('transformer.h.1.mlp.p.weight', 2, 3, 2500),
    labelled('lm_head.weight', 5, 2, 3000),
  ];
}

function replace(tensors: TensorToWrite[], ...replacements: TensorToWrite[]): TensorToWrite[] {
  const names = new Set(replacements.map((t) => t.name));
  return [...tensors.filter((t) => !names.has(t.name)), ...replacements];
}

function without(tensors: TensorToWrite[], name: string): TensorToWrite[] {
  return tensors.filter((t) => t.name !== name);
}

function rows(data: Float64Array, cols: number): number[][] {
  return Array.from({ length: data.length / cols }, (_, r) => [...data.subarray(r * cols, (r + 1) * cols)]);
}

function expectLayoutError(
  tensors: TensorToWrite[] | SafetensorsFile,
  code: ModelLayoutErrorCode,
  message?: RegExp | string,
): ModelLayoutError {
  const file = Array.isArray(tensors) ? fileOf(tensors) : tensors;
  let caught: unknown;
  try {
    importModel(file);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ModelLayoutError);
  const error = caught as ModelLayoutError;
  expect(error.code).toBe(code);
  if (message !== undefined) expect(error.message).toMatch(message);
  return error;
}

describe('importModel: image classifier', () => {
  it('splits each block into left (rows 0..d-1) and right (rows d..2d-1)', () => {
    const model = importModel(fileOf(imageTensors())) as ImageClassifierModel;
    expect(model.layout).toBe('image-classifier');
    expect(model.inputDim).toBe(4);
    expect(model.imageShape).toEqual([2, 2]);
    expect(model.residual).toBe(false);
    expect(model.embed).toMatchObject({ rows: 2, cols: 4 });
    expect(rows(model.embed.data, 4)).toEqual([
      [0, 1, 2, 3],
      [100, 101, 102, 103],
    ]);
    expect(model.blocks).toHaveLength(2);
    const [first, second] = model.blocks;
    expect(first?.left).toMatchObject({ rows: 2, cols: 2 });
    expect(rows(first?.left.data ?? new Float64Array(), 2)).toEqual([
      [1000, 1001],
      [1100, 1101],
    ]);
    expect(rows(first?.right.data ?? new Float64Array(), 2)).toEqual([
      [1200, 1201],
      [1300, 1301],
    ]);
    expect(rows(second?.right.data ?? new Float64Array(), 2)).toEqual([
      [2200, 2201],
      [2300, 2301],
    ]);
    expect(model.head).toMatchObject({ rows: 3, cols: 2 });
    expect(model.head.data[5]).toBe(3201);
    // Left and right own separate buffers.
    expect(first?.left.data.buffer).not.toBe(first?.right.data.buffer);
  });

  it('takes residual from the options and the image shape from perfect-square inputs only', () => {
    expect((importModel(fileOf(imageTensors()), { residual: true }) as ImageClassifierModel).residual).toBe(
      true,
    );
    const mnist = replace(imageTensors(), labelled('embed.weight', 2, 784));
    expect((importModel(fileOf(mnist)) as ImageClassifierModel).imageShape).toEqual([28, 28]);
    const flat = replace(imageTensors(), labelled('embed.weight', 2, 10));
    const model = importModel(fileOf(flat)) as ImageClassifierModel;
    expect(model.imageShape).toBeNull();
    expect(model.inputDim).toBe(10);
  });

  it('reads F32 weights', () => {
    const tensors = imageTensors().map((t) => ({ ...t, dtype: 'F32' as const }));
    const model = importModel(fileOf(tensors)) as ImageClassifierModel;
    expect(model.blocks[1]?.left.data[3]).toBe(2101);
  });

  it('rejects a block that is not [2d, d]', () => {
    const error = expectLayoutError(
      replace(imageTensors(), labelled('blocks.1.weight', 3, 2)),
      'inconsistent-shapes',
      'blocks.1.weight has shape [3,2] but [4,2] is expected ([2d, d] with d = 2 from embed.weight [2,4])',
    );
    expect(error.tensor).toBe('blocks.1.weight');
  });

  it('rejects a missing block index', () => {
    expectLayoutError(
      without(imageTensors(), 'blocks.0.weight'),
      'inconsistent-shapes',
      /blocks\.0\.weight is missing: the file has 1 of 2 blocks \(indices 1\)/,
    );
  });

  it('rejects a head whose columns are not d, and non-matrix weights', () => {
    expectLayoutError(
      replace(imageTensors(), labelled('head.weight', 3, 5)),
      'inconsistent-shapes',
      'head.weight has shape [3,5] but [3,2] is expected ([classes, d] with d = 2 from embed.weight [2,4])',
    );
    expectLayoutError(
      replace(imageTensors(), { name: 'embed.weight', dtype: 'F32', shape: [8], data: new Float64Array(8) }),
      'inconsistent-shapes',
      'embed.weight has shape [8] but a matrix [d, in] with positive sizes is expected',
    );
  });

  it('names what is missing when the keys only look like the layout', () => {
    const error = expectLayoutError(without(imageTensors(), 'head.weight'), 'unknown-layout');
    expect(error.message).toMatch(/look like the image-classifier layout but head\.weight is missing/);
    expect(error.message).toMatch(/embed\.weight \[2,4\] F64/);
  });

  it('rejects tensors the layout has no place for, such as biases or zero-padded indices', () => {
    const bias = { name: 'blocks.0.bias', dtype: 'F32' as const, shape: [4], data: new Float64Array(4) };
    const error = expectLayoutError(
      [...imageTensors(), bias],
      'unknown-layout',
      /tensors the image-classifier layout does not use .*: blocks\.0\.bias/,
    );
    expect(error.tensor).toBe('blocks.0.bias');
    expectLayoutError(
      [...imageTensors(), labelled('blocks.01.weight', 4, 2)],
      'unknown-layout',
      /blocks\.01\.weight/,
    );
  });
});

describe('importModel: language model', () => {
  it("reads embedding, unembedding, and each layer's W, V and P, ignoring attention", () => {
    const model = importModel(fileOf(languageTensors())) as LanguageModel;
    expect(model).toMatchObject({ layout: 'language-model', vocabSize: 5, modelDim: 2, hiddenDim: 3 });
    expect(model.embedding).toMatchObject({ rows: 5, cols: 2 });
    expect(model.unembedding.data[9]).toBe(3401);
    expect(model.layers).toHaveLength(2);
    const layer = model.layers[1];
    expect(rows(layer?.mlp.left.data ?? new Float64Array(), 2)).toEqual([
      [2000, 2001],
      [2100, 2101],
      [2200, 2201],
    ]);
    expect(rows(layer?.mlp.right.data ?? new Float64Array(), 2)).toEqual([
      [2300, 2301],
      [2400, 2401],
      [2500, 2501],
    ]);
    expect(layer?.mlp.left).toMatchObject({ rows: 3, cols: 2 });
    expect(layer?.down).toMatchObject({ rows: 2, cols: 3 });
    expect(rows(layer?.down.data ?? new Float64Array(), 3)).toEqual([
      [2500, 2501, 2502],
      [2600, 2601, 2602],
    ]);
  });

  it('works without attention weights', () => {
    const mlpOnly = languageTensors().filter((t) => !t.name.includes('.attn.'));
    expect((importModel(fileOf(mlpOnly)) as LanguageModel).layers).toHaveLength(2);
  });

  it('rejects an odd number of rows in mlp.w', () => {
    expectLayoutError(
      replace(languageTensors(), labelled('transformer.h.0.mlp.w.weight', 5, 2)),
      'inconsistent-shapes',
      /transformer\.h\.0\.mlp\.w\.weight has shape \[5,2\] but \[2h, d\] is expected: .* even number of rows/,
    );
  });

  it('rejects layers whose hidden size or model size disagree', () => {
    expectLayoutError(
      replace(languageTensors(), labelled('transformer.h.1.mlp.w.weight', 8, 2)),
      'inconsistent-shapes',
      'transformer.h.1.mlp.w.weight has shape [8,2] but [6,2] is expected ([2h, d] with d = 2 from transformer.wte.weight [5,2] and h = 3 from transformer.h.0.mlp.w.weight [6,2])',
    );
    expectLayoutError(
      replace(languageTensors(), labelled('transformer.h.0.mlp.p.weight', 3, 2)),
      'inconsistent-shapes',
      /transformer\.h\.0\.mlp\.p\.weight has shape \[3,2\] but \[2,3\] is expected \(\[d, h\]/,
    );
    expectLayoutError(
      replace(languageTensors(), labelled('lm_head.weight', 4, 2)),
      'inconsistent-shapes',
      /lm_head\.weight has shape \[4,2\] but \[5,2\] is expected/,
    );
  });

  it('rejects a layer with a missing MLP weight', () => {
    expectLayoutError(
      without(languageTensors(), 'transformer.h.1.mlp.p.weight'),
      'inconsistent-shapes',
      /transformer\.h\.1\.mlp\.p\.weight is missing/,
    );
    // Attention for a third layer implies its MLP.
    expectLayoutError(
      [...languageTensors(), labelled('transformer.h.2.attn.o.weight', 2, 2)],
      'inconsistent-shapes',
      /transformer\.h\.2\.mlp\.w\.weight is missing/,
    );
  });

  it('rejects tensors outside the layout, such as a final norm', () => {
    expectLayoutError(
      [...languageTensors(), { name: 'transformer.ln_f.weight', dtype: 'F32', shape: [2], data: [1, 1] }],
      'unknown-layout',
      /does not use .*: transformer\.ln_f\.weight/,
    );
  });
});

describe('importModel: unrecognised files', () => {
  it('lists the keys found with their shapes, and the layouts expected', () => {
    const error = expectLayoutError(
      [labelled('fc1.weight', 4, 3), labelled('fc2.weight', 2, 4)],
      'unknown-layout',
      /match no known layout/,
    );
    expect(error.message).toContain('Found 2 tensors:\n  fc1.weight [4,3] F64\n  fc2.weight [2,4] F64');
    expect(error.message).toContain('image-classifier: embed.weight [d, in], blocks.{i}.weight [2d, d]');
    expect(error.message).toContain(
      'language-model: transformer.wte.weight [V, d], transformer.h.{i}.mlp.w.weight',
    );
  });

  it('truncates a long key list with a count of the rest', () => {
    const many = Array.from({ length: 25 }, (_, i) => labelled(`t${String(i).padStart(2, '0')}`, 1, 1));
    const error = expectLayoutError(many, 'unknown-layout');
    expect(error.message).toContain('  t19 [1,1] F64\n  … and 5 more');
    expect(error.message).not.toContain('t20');
  });

  it('rejects empty files and files mixing both layouts', () => {
    expectLayoutError([], 'unknown-layout', /holds no tensors/);
    expectLayoutError(
      [...imageTensors(), labelled('lm_head.weight', 5, 2)],
      'unknown-layout',
      /mix the image-classifier and language-model/,
    );
  });

  it('rejects weights stored as integers', () => {
    // The writer only writes floats, so build the I32 file by hand.
    const json = new TextEncoder().encode(
      JSON.stringify({
        'embed.weight': { dtype: 'I32', shape: [1, 1], data_offsets: [0, 4] },
        'blocks.0.weight': { dtype: 'I32', shape: [2, 1], data_offsets: [4, 12] },
        'head.weight': { dtype: 'I32', shape: [1, 1], data_offsets: [12, 16] },
      }),
    );
    const bytes = new Uint8Array(8 + json.length + 16);
    new DataView(bytes.buffer).setUint32(0, json.length, true);
    bytes.set(json, 8);
    expectLayoutError(
      parseSafetensors(bytes),
      'unsupported-dtype',
      'embed.weight is stored as I32; weights must be F64, F32, F16 or BF16',
    );
  });

  it('surfaces non-finite weights as the SafetensorsError naming the tensor', () => {
    const broken = labelled('blocks.1.weight', 4, 2);
    (broken.data as Float64Array)[3] = Number.POSITIVE_INFINITY;
    let caught: unknown;
    try {
      importModel(fileOf(replace(imageTensors(), broken)));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SafetensorsError);
    expect((caught as SafetensorsError).code).toBe('non-finite');
    expect((caught as SafetensorsError).tensor).toBe('blocks.1.weight');
    expect((caught as SafetensorsError).message).toMatch(/element 3 at index \[1,1\] is Infinity/);
  });
});

describe('inspectLanguageModel: the header alone', () => {
  /** The first bytes of a file up to the end of its header, and its whole length: what a stream gives first. */
  function headOf(tensors: TensorToWrite[]) {
    const bytes = writeSafetensors(tensors);
    return { head: bytes.slice(0, safetensorsHeaderBytes(bytes)), length: bytes.length };
  }

  it('reports what importModel reads, from the header without the weights', () => {
    const { head, length } = headOf(languageTensors());
    const config = {
      vocab_size: 5,
      d_model: 2,
      d_hidden: 3,
      n_layer: 2,
      n_head: 1,
      n_ctx: 8,
      bilinear: true,
    };
    const shape = inspectLanguageModel(readSafetensorsHeader(head, length), { config });
    const model = importModel(fileOf(languageTensors()), { config }) as LanguageModel;
    expect(shape).toEqual({
      vocabSize: model.vocabSize,
      modelDim: model.modelDim,
      hiddenDim: model.hiddenDim,
      layers: model.layers.length,
      attention: true,
      gate: model.gate,
      configSource: model.configSource,
      config: model.config,
    });
  });

  it('refuses what importModel refuses: wrong shapes, a contradicting config, a classifier', () => {
    const wrong = headOf(replace(languageTensors(), labelled('transformer.h.1.mlp.p.weight', 2, 4)));
    expect(() => inspectLanguageModel(readSafetensorsHeader(wrong.head, wrong.length))).toThrow(
      /transformer\.h\.1\.mlp\.p\.weight has shape \[2,4\] but \[2,3\] is expected/,
    );
    const { head, length } = headOf(languageTensors());
    expect(() =>
      inspectLanguageModel(readSafetensorsHeader(head, length), {
        config: { vocab_size: 5, d_model: 4, d_hidden: 3, n_layer: 2 },
      }),
    ).toThrow(/d_model = 4/);
    const image = headOf(imageTensors());
    expect(() => inspectLanguageModel(readSafetensorsHeader(image.head, image.length))).toThrow(
      /image-classifier layout, not a language model/,
    );
  });

  it('checks the tensors against the length of the whole file: a cut-short upload is refused', () => {
    const { head, length } = headOf(languageTensors());
    expect(() => readSafetensorsHeader(head, length - 1)).toThrow(/past the .*buffer after the header/);
  });

  it('states the length the whole file must have from its head, before the rest arrives', () => {
    const { head, length } = headOf(languageTensors());
    const { header, fileLength } = readSafetensorsHead(head);
    expect(fileLength).toBe(length);
    expect(header).toEqual(readSafetensorsHeader(head, length));
  });
});

describe.skipIf(!existsSync(FIXTURE))(
  'importModel on the PyTorch MNIST fixture (skipped: ../shared/fixtures is absent here)',
  () => {
    it('imports a d = 64 one-block classifier on 28×28 images, split as numpy reads it', () => {
      const model = importModel(
        parseSafetensors(new Uint8Array(readFileSync(FIXTURE))),
      ) as ImageClassifierModel;
      expect(model).toMatchObject({
        layout: 'image-classifier',
        inputDim: 784,
        imageShape: [28, 28],
        residual: false,
      });
      expect(model.embed).toMatchObject({ rows: 64, cols: 784 });
      expect(model.head).toMatchObject({ rows: 10, cols: 64 });
      expect(model.blocks).toHaveLength(1);
      const block = model.blocks[0];
      expect(block?.left).toMatchObject({ rows: 64, cols: 64 });
      expect(block?.right).toMatchObject({ rows: 64, cols: 64 });
      // numpy: W = blocks.0.weight[:64], V = blocks.0.weight[64:].
      expect(block?.left.data[0]).toBe(0.000831235374789685);
      expect(block?.left.data[63 * 64 + 63]).toBe(-0.07756313681602478);
      expect(block?.right.data[0]).toBe(-0.047284577041864395);
      expect(block?.right.data[63 * 64 + 63]).toBe(-0.02155981957912445);
      expect(model.head.data[0]).toBe(0.03996635600924492);
    });
  },
);
