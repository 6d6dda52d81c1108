import { describe, expect, it } from 'vitest';
import {
  inferModelConfig,
  type ModelConfig,
  ModelConfigError,
  modelConfigFromJson,
  modelConfigToJson,
  referenceShapes,
} from './config.js';

const classifier: ModelConfig = {
  kind: 'image-classifier',
  inputDim: 784,
  hiddenDim: 256,
  layers: 2,
  outputDim: 10,
  residual: true,
  gate: 'none',
  loss: 'cross-entropy',
};
const toy: ModelConfig = {
  kind: 'toy',
  inputDim: 4,
  hiddenDim: 6,
  layers: 2,
  outputDim: 6,
  residual: false,
  gate: 'relu',
  loss: 'mse',
};

describe('referenceShapes', () => {
  it('image classifier: embed [d, in], blocks [2d, d], head [classes, d]', () => {
    expect(referenceShapes(classifier)).toEqual([
      { name: 'embed.weight', shape: [256, 784] },
      { name: 'blocks.0.weight', shape: [512, 256] },
      { name: 'blocks.1.weight', shape: [512, 256] },
      { name: 'head.weight', shape: [10, 256] },
    ]);
  });

  it('toy: no embed, the first block reads the input [2d, in]', () => {
    expect(referenceShapes(toy)).toEqual([
      { name: 'blocks.0.weight', shape: [12, 4] },
      { name: 'blocks.1.weight', shape: [12, 6] },
      { name: 'head.weight', shape: [6, 6] },
    ]);
  });

  it('rejects a malformed config, naming the field', () => {
    expect(() => referenceShapes({ ...classifier, hiddenDim: 0 })).toThrow(
      /hiddenDim must be an integer ≥ 1, got 0/,
    );
    expect(() => referenceShapes({ ...classifier, gate: 'tanh' as never })).toThrow(/gate must be one of/);
    expect(() => referenceShapes({ ...classifier, kind: 'lm' as never })).toThrow(ModelConfigError);
  });
});

describe('the JSON config PyTorch users read', () => {
  it('has the reference keys', () => {
    expect(modelConfigToJson({ ...classifier, layers: 1, residual: false }, { epochs: 20 })).toEqual({
      architecture: 'bilinear-image-classifier',
      d_input: 784,
      d_hidden: 256,
      n_layer: 1,
      n_classes: 10,
      residual: false,
      gate: 'none',
      loss: 'cross-entropy',
      training: { epochs: 20 },
    });
    expect(modelConfigToJson(toy)).toMatchObject({ architecture: 'bilinear-toy', d_output: 6, training: {} });
  });

  it('round-trips through text, for both kinds', () => {
    for (const config of [classifier, toy]) {
      const text = JSON.stringify(modelConfigToJson(config, { lr: 1e-3 }));
      expect(modelConfigFromJson(text)).toEqual({ config, training: { lr: 1e-3 } });
    }
  });

  it('fills in what a hand-written config leaves out and ignores unknown keys', () => {
    const { config, training } = modelConfigFromJson({
      architecture: 'bilinear-toy',
      d_input: 4,
      d_hidden: 6,
      n_layer: 1,
      d_output: 6,
      comment: 'from a notebook',
    });
    expect(config).toEqual({ ...toy, layers: 1, gate: 'none' });
    expect(training).toEqual({});
  });

  it('says which key is wrong', () => {
    const good = modelConfigToJson(classifier);
    expect(() => modelConfigFromJson({ ...good, architecture: 'gpt2' })).toThrow(/architecture must be/);
    expect(() => modelConfigFromJson({ ...good, d_hidden: 2.5 })).toThrow(
      /"d_hidden" must be an integer ≥ 1, got 2.5/,
    );
    expect(() => modelConfigFromJson({ ...good, n_classes: undefined })).toThrow(/"n_classes"/);
    expect(() => modelConfigFromJson({ ...good, residual: 'yes' })).toThrow(/residual must be true or false/);
    expect(() => modelConfigFromJson('{not json')).toThrow(/not valid JSON/);
  });
});

describe('inferModelConfig', () => {
  const shapesOf = (config: ModelConfig) =>
    new Map(referenceShapes(config).map(({ name, shape }) => [name, shape]));

  it('recovers the dimensions of both layouts and assumes the defaults for what shapes cannot tell', () => {
    expect(inferModelConfig(shapesOf(classifier))).toEqual({ ...classifier, residual: false });
    expect(inferModelConfig(shapesOf(toy))).toEqual({ ...toy, gate: 'none' });
  });

  it('names the tensor that does not fit', () => {
    const wrongHead = shapesOf(classifier).set('head.weight', [10, 255]);
    expect(() => inferModelConfig(wrongHead)).toThrow(
      /"head.weight" has shape \[10, 255\] but the config .* needs \[10, 256\]/,
    );

    const hole = shapesOf(classifier);
    hole.delete('blocks.0.weight');
    expect(() => inferModelConfig(hole)).toThrow(/"blocks.0.weight" \[512, 256\] is missing/);

    const odd = new Map([
      ['blocks.0.weight', [7, 4]],
      ['head.weight', [6, 3]],
    ]);
    expect(() => inferModelConfig(odd)).toThrow(/"blocks.0.weight" has 7 rows/);

    const extra = new Map<string, readonly number[]>(shapesOf(toy)).set('blocks.0.bias', [12]);
    expect(() => inferModelConfig(extra)).toThrow(/"blocks.0.bias" has no place in the reference layout/);

    expect(() => inferModelConfig(new Map([['transformer.wte.weight', [100, 8]]]))).toThrow(
      /no tensor "blocks.0.weight"/,
    );
  });
});
