// The bilinear transformer's shape and its HF folder's config.json, as the reference code writes
// them (tdooms/bilinear-decomposition src/language/transformer.py `Config`, plus vocab_size and
// scale_attn as ../shared/fixtures/lm/lm_dev/config.json has them).
import { GATES, type Gate, type LanguageModelConfig } from '@bilinear-lab/core';

/** Everything that fixes the model's parameters and forward pass (core's LanguageModelConfig, complete). */
export interface LanguageModelShape extends LanguageModelConfig {
  heads: number;
  /** n_ctx: the longest window the model is trained on (rotary positions have no table limit). */
  context: number;
}

export class LanguageModelShapeError extends Error {
  override readonly name = 'LanguageModelShapeError';
  /** The setting at fault: vocabSize, modelDim, hiddenDim, layers, heads, context or gate. */
  constructor(
    readonly setting: keyof LanguageModelShape,
    readonly problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

/** The shape with the reference code's defaults for what is not given (bilinear MLP, scaled attention, RMSNorm). */
export function languageModelShape(
  shape: Omit<LanguageModelShape, 'gate' | 'scaleAttention' | 'normalization'> &
    Partial<Pick<LanguageModelShape, 'gate' | 'scaleAttention' | 'normalization'>>,
): LanguageModelShape {
  const complete: LanguageModelShape = {
    gate: 'none',
    scaleAttention: true,
    normalization: true,
    ...shape,
  };
  checkLanguageModelShape(complete);
  return complete;
}

/** Throws LanguageModelShapeError unless the shape describes a model the forward pass can run. */
export function checkLanguageModelShape(shape: LanguageModelShape): void {
  const sizes = ['vocabSize', 'modelDim', 'hiddenDim', 'layers', 'heads', 'context'] as const;
  for (const key of sizes) {
    const value = shape[key];
    if (!(Number.isSafeInteger(value) && value >= 1)) {
      throw new LanguageModelShapeError(key, `must be a whole number ≥ 1, got ${value}`);
    }
  }
  if (shape.context < 2) {
    throw new LanguageModelShapeError(
      'context',
      `must be at least 2 (a window predicts its next tokens), got ${shape.context}`,
    );
  }
  if (shape.modelDim % shape.heads !== 0) {
    throw new LanguageModelShapeError(
      'heads',
      `${shape.heads} heads do not divide d_model ${shape.modelDim}`,
    );
  }
  if ((shape.modelDim / shape.heads) % 2 !== 0) {
    throw new LanguageModelShapeError(
      'heads',
      `d_model ${shape.modelDim} / ${shape.heads} heads = d_head ${shape.modelDim / shape.heads} is odd; rotary embeddings rotate the two halves of each head`,
    );
  }
  if (!GATES.includes(shape.gate)) {
    throw new LanguageModelShapeError(
      'gate',
      `must be one of ${GATES.join(', ')}, got ${String(shape.gate)}`,
    );
  }
}

/** d_head = d_model / n_head. */
export function headDim(shape: LanguageModelShape): number {
  return shape.modelDim / shape.heads;
}

/** s on the attention branch: 1/√(2·n_layer) with scale_attn (the reference default), else 1. */
export function attentionScale(shape: LanguageModelShape): number {
  return shape.scaleAttention ? 1 / Math.sqrt(2 * shape.layers) : 1;
}

/**
 * The rotary buffer `attn.rotary.inv_freq` [d_head / 2]: 1 / 10000^(2i / d_head), each step rounded
 * to float32 as PyTorch computes it (`1.0 / (10000 ** (torch.arange(0, dh, 2).float() / dh))`), so
 * the buffer equals the reference's bit for bit.
 */
export function inverseFrequencies(shape: LanguageModelShape): Float32Array {
  const dh = headDim(shape);
  return Float32Array.from(
    { length: dh / 2 },
    (_, i) => 1 / Math.fround(10_000 ** Math.fround((2 * i) / dh)),
  );
}

/** A trainable tensor in the reference (PyTorch, HF-key) layout. */
export interface ParameterShape {
  name: string;
  shape: [number, number];
}

/**
 * The trainable parameters in PyTorch's state_dict order, reference layout ([out, in] for linear
 * maps): `transformer.wte.weight` [V, d]; per layer `attn.qkv.weight` [3d, d] (rows q, k, v, each
 * split by head), `attn.o.weight` [d, d], `mlp.w.weight` [2h, d] (rows: left, then right),
 * `mlp.p.weight` [d, h]; `lm_head.weight` [V, d]. No biases, no norm weights.
 */
export function languageModelParameterShapes(shape: LanguageModelShape): ParameterShape[] {
  const { vocabSize: v, modelDim: d, hiddenDim: h } = shape;
  const shapes: ParameterShape[] = [{ name: 'transformer.wte.weight', shape: [v, d] }];
  for (let i = 0; i < shape.layers; i++) {
    const layer = `transformer.h.${i}`;
    shapes.push(
      { name: `${layer}.attn.qkv.weight`, shape: [3 * d, d] },
      { name: `${layer}.attn.o.weight`, shape: [d, d] },
      { name: `${layer}.mlp.w.weight`, shape: [2 * h, d] },
      { name: `${layer}.mlp.p.weight`, shape: [d, h] },
    );
  }
  shapes.push({ name: 'lm_head.weight', shape: [v, d] });
  return shapes;
}

/** Trainable parameters in all. */
export function languageModelParameterCount(shape: LanguageModelShape): number {
  return languageModelParameterShapes(shape).reduce((sum, p) => sum + p.shape[0] * p.shape[1], 0);
}

/**
 * The folder's config.json object, key for key as the reference fixture's: the official `Config`
 * fields (gate null for a bilinear MLP; bias false), vocab_size, scale_attn and model_type.
 */
export function languageModelConfigJson(shape: LanguageModelShape): Record<string, unknown> {
  checkLanguageModelShape(shape);
  return {
    n_head: shape.heads,
    n_layer: shape.layers,
    n_ctx: shape.context,
    d_model: shape.modelDim,
    d_hidden: shape.hiddenDim,
    bilinear: true,
    gate: gateJson(shape.gate),
    bias: false,
    normalization: shape.normalization,
    vocab_size: shape.vocabSize,
    scale_attn: shape.scaleAttention,
    model_type: 'bilinear-transformer',
  };
}

function gateJson(gate: Gate): string | null {
  return gate === 'none' ? null : gate;
}

/**
 * The shape a config read by core's languageModelConfigFromJson describes; n_head and n_ctx must be
 * there (training and the forward pass need them).
 */
export function languageModelShapeOf(config: LanguageModelConfig): LanguageModelShape {
  if (config.heads === null) throw new LanguageModelShapeError('heads', 'the config has no n_head');
  if (config.context === null) throw new LanguageModelShapeError('context', 'the config has no n_ctx');
  const shape: LanguageModelShape = { ...config, heads: config.heads, context: config.context };
  checkLanguageModelShape(shape);
  return shape;
}
