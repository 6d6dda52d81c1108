// The `config.json` of a language model's HF folder, as the reference code writes it
// (tdooms/bilinear-decomposition `src/language`): n_head, n_layer, n_ctx, d_model, d_hidden,
// bilinear, gate, bias, normalization, vocab_size (older files: n_vocab) and scale_attn.
import { describeValue, GATES, type Gate, jsonObject, ModelConfigError } from './config.js';

export interface LanguageModelConfig {
  vocabSize: number;
  modelDim: number;
  hiddenDim: number;
  layers: number;
  /** Attention heads and context length; null when the config leaves them out. */
  heads: number | null;
  context: number | null;
  /** The MLP's gate on its left half: 'none' for a bilinear MLP ("gate": null with "bilinear": true). */
  gate: Gate;
  /** The attention branch is scaled by 1/√(2·n_layer) (the reference code's default; ts-* files say false). */
  scaleAttention: boolean;
  normalization: boolean;
}

/** True when a parsed config JSON looks like a language model's (rather than one of our classifier configs). */
export function isLanguageModelConfigJson(json: unknown): boolean {
  return (
    typeof json === 'object' &&
    json !== null &&
    ('d_model' in json || 'n_vocab' in json || 'vocab_size' in json)
  );
}

/**
 * Reads a language model's config JSON (text or parsed). Keys it does not know are ignored; what
 * decides how the weights are read (the gate, biases, the attention scale) must be well-formed.
 * Throws ModelConfigError naming the key.
 */
export function languageModelConfigFromJson(json: unknown): LanguageModelConfig {
  const fail = (what: string): never => {
    throw new ModelConfigError('invalid-config', `language-model config: ${what}`);
  };
  const value = jsonObject(json, fail);

  const integer = (key: string, field: unknown = value[key]): number => {
    if (typeof field !== 'number' || !Number.isSafeInteger(field) || field < 1) {
      return fail(`"${key}" must be an integer ≥ 1, got ${describeValue(field)}`);
    }
    return field;
  };
  const optionalInteger = (key: string): number | null =>
    value[key] === undefined || value[key] === null ? null : integer(key);
  const flag = (key: string, fallback: boolean): boolean => {
    const field = value[key] ?? fallback;
    if (typeof field !== 'boolean')
      return fail(`"${key}" must be true or false, got ${describeValue(field)}`);
    return field;
  };

  const vocabKey = value.vocab_size !== undefined ? 'vocab_size' : 'n_vocab';
  if (value.vocab_size !== undefined && value.n_vocab !== undefined && value.vocab_size !== value.n_vocab) {
    fail(
      `"vocab_size" (${describeValue(value.vocab_size)}) and "n_vocab" (${describeValue(value.n_vocab)}) disagree`,
    );
  }
  const gateField = value.gate ?? null;
  if (
    gateField !== null &&
    !(typeof gateField === 'string' && (GATES as readonly string[]).includes(gateField))
  ) {
    fail(
      `"gate" must be null or one of ${GATES.filter((g) => g !== 'none').join(', ')}, got ${describeValue(gateField)}`,
    );
  }
  const gate = (gateField ?? 'none') as Gate;
  if (!flag('bilinear', true) && gate === 'none') {
    fail('"bilinear": false with no "gate": the MLP is neither bilinear nor a GLU this layout describes');
  }
  if (flag('bias', false)) {
    fail('"bias": true: the reference layout has no biases, and this reader would ignore them');
  }
  return {
    vocabSize: integer(vocabKey),
    modelDim: integer('d_model'),
    hiddenDim: integer('d_hidden'),
    layers: integer('n_layer'),
    heads: optionalInteger('n_head'),
    context: optionalInteger('n_ctx'),
    gate,
    scaleAttention: flag('scale_attn', true),
    normalization: flag('normalization', true),
  };
}
