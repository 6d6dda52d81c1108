// The reference language model's forward pass in float64 (tdooms/bilinear-decomposition
// src/language/transformer.py): per layer x += s·attn(rms(x)); x += mlp(rms(x)); then
// lm_head(rms(x)). Plain loops over typed arrays: exact and dependency-free, for evaluation,
// the MLP inputs decompositions are checked on, and activations. Training uses TensorFlow.js.
import { seededRandom } from '../random/seeded-random.js';
import { gateActivation } from './gate.js';
import type { HookPoint } from './sparse-autoencoder.js';
import type { LanguageModel, LanguageModelLayer, Matrix } from './types.js';

export class LanguageModelForwardError extends Error {
  override readonly name = 'LanguageModelForwardError';
}

/** rms(x) = x / √(mean(x²) + 1e-8), the reference's parameter-free RMSNorm. */
const RMS_EPSILON = 1e-8;
const ROTARY_BASE = 10_000;

/** What the forward pass needs beyond the weights, all from the model's config.json. */
interface ForwardSettings {
  heads: number;
  headDim: number;
  /** s = 1/√(2·n_layer) on the attention branch, or 1 (scale_attn: false). */
  attentionScale: number;
  normalize: boolean;
}

function forwardSettings(model: LanguageModel): ForwardSettings {
  const config = model.config;
  if (config === null || config.heads === null) {
    throw new LanguageModelForwardError(
      "the forward pass needs the model's config.json (n_head, scale_attn, normalization): pass the HF folder or its config",
    );
  }
  if (model.layers.some((layer) => layer.attention === null)) {
    throw new LanguageModelForwardError(
      'the forward pass needs attention weights (attn.qkv.weight, attn.o.weight) in every layer',
    );
  }
  if (model.modelDim % config.heads !== 0) {
    throw new LanguageModelForwardError(`n_head ${config.heads} does not divide d_model ${model.modelDim}`);
  }
  const headDim = model.modelDim / config.heads;
  if (headDim % 2 !== 0) {
    throw new LanguageModelForwardError(
      `d_head ${headDim} is odd: rotary embeddings rotate halves of each head`,
    );
  }
  for (const layer of model.layers) {
    const stored = layer.attention?.inverseFrequencies;
    if (stored && stored.length !== headDim / 2) {
      throw new LanguageModelForwardError(
        `attn.rotary.inv_freq has ${stored.length} values, but n_head ${config.heads} gives d_head ${headDim} (d_head / 2 = ${headDim / 2})`,
      );
    }
  }
  return {
    heads: config.heads,
    headDim,
    attentionScale: config.scaleAttention ? 1 / Math.sqrt(2 * model.layers.length) : 1,
    normalize: config.normalization,
  };
}

/** out[t] = M · in[t] for T rows of in (T × cols) → T × rows. */
function applyRows(m: Matrix, input: Float64Array, count: number): Float64Array {
  const out = new Float64Array(count * m.rows);
  for (let t = 0; t < count; t++) {
    const x = input.subarray(t * m.cols, (t + 1) * m.cols);
    for (let r = 0; r < m.rows; r++) {
      let sum = 0;
      const offset = r * m.cols;
      for (let c = 0; c < m.cols; c++) sum += (m.data[offset + c] as number) * (x[c] as number);
      out[t * m.rows + r] = sum;
    }
  }
  return out;
}

function rmsRows(x: Float64Array, count: number, d: number, normalize: boolean): Float64Array {
  if (!normalize) return x.slice();
  const out = new Float64Array(count * d);
  for (let t = 0; t < count; t++) {
    let sumSquares = 0;
    for (let i = 0; i < d; i++) sumSquares += (x[t * d + i] as number) ** 2;
    const scale = 1 / Math.sqrt(sumSquares / d + RMS_EPSILON);
    for (let i = 0; i < d; i++) out[t * d + i] = (x[t * d + i] as number) * scale;
  }
  return out;
}

/** cos and sin of position t times each frequency, duplicated over both halves of a head. */
function rotaryTables(layer: LanguageModelLayer, count: number, headDim: number) {
  const half = headDim / 2;
  const stored = layer.attention?.inverseFrequencies ?? null;
  const cos = new Float64Array(count * half);
  const sin = new Float64Array(count * half);
  for (let i = 0; i < half; i++) {
    const frequency = stored ? (stored[i] as number) : 1 / ROTARY_BASE ** ((2 * i) / headDim);
    for (let t = 0; t < count; t++) {
      cos[t * half + i] = Math.cos(t * frequency);
      sin[t * half + i] = Math.sin(t * frequency);
    }
  }
  return { cos, sin };
}

/** Causal self-attention of T positions (x already normalised), T × d out, before o's scale. */
function attention(
  layer: LanguageModelLayer,
  x: Float64Array,
  count: number,
  d: number,
  settings: ForwardSettings,
) {
  const weights = layer.attention;
  if (!weights) throw new LanguageModelForwardError('internal: attention weights expected');
  const { heads, headDim } = settings;
  const half = headDim / 2;
  const qkv = applyRows(weights.qkv, x, count); // T × 3d, columns (n, head, j)
  const { cos, sin } = rotaryTables(layer, count, headDim);
  // Rotate-half rotary on q and k: x·cos + rotate_half(x)·sin, rotate_half(x) = (−x₂, x₁).
  const rotated = (t: number, n: number, head: number) => {
    const base = t * 3 * d + n * d + head * headDim;
    const v = new Float64Array(headDim);
    for (let i = 0; i < half; i++) {
      const a = qkv[base + i] as number;
      const b = qkv[base + half + i] as number;
      const c = cos[t * half + i] as number;
      const s = sin[t * half + i] as number;
      v[i] = a * c - b * s;
      v[half + i] = b * c + a * s;
    }
    return v;
  };
  const z = new Float64Array(count * d);
  const scale = 1 / Math.sqrt(headDim);
  const scores = new Float64Array(count);
  for (let head = 0; head < heads; head++) {
    const queries = Array.from({ length: count }, (_, t) => rotated(t, 0, head));
    const keys = Array.from({ length: count }, (_, t) => rotated(t, 1, head));
    for (let t = 0; t < count; t++) {
      const q = queries[t] as Float64Array;
      let largest = Number.NEGATIVE_INFINITY;
      for (let u = 0; u <= t; u++) {
        const k = keys[u] as Float64Array;
        let dot = 0;
        for (let i = 0; i < headDim; i++) dot += (q[i] as number) * (k[i] as number);
        scores[u] = dot * scale;
        largest = Math.max(largest, scores[u] as number);
      }
      let total = 0;
      for (let u = 0; u <= t; u++) {
        const e = Math.exp((scores[u] as number) - largest);
        scores[u] = e;
        total += e;
      }
      const offset = t * d + head * headDim;
      for (let u = 0; u <= t; u++) {
        const weight = (scores[u] as number) / total;
        const valueBase = u * 3 * d + 2 * d + head * headDim;
        for (let i = 0; i < headDim; i++)
          z[offset + i] = (z[offset + i] as number) + weight * (qkv[valueBase + i] as number);
      }
    }
  }
  return applyRows(weights.out, z, count);
}

/** p(act(W x) ⊙ (V x)) for T rows of normalised input. */
function mlp(
  layer: LanguageModelLayer,
  x: Float64Array,
  count: number,
  gate: LanguageModel['gate'],
): Float64Array {
  const left = applyRows(layer.mlp.left, x, count);
  const right = applyRows(layer.mlp.right, x, count);
  const act = gateActivation(gate);
  for (let i = 0; i < left.length; i++) left[i] = act(left[i] as number) * (right[i] as number);
  return applyRows(layer.down, left, count);
}

export interface LanguageModelTrace {
  /** T × V next-token logits. */
  logits: Float64Array;
  /** Per layer, T × d: the normalised MLP input rms(x) the bilinear MLP reads ("mlp-in"). */
  mlpInputs: Float64Array[];
  /** Per layer, T × d: what the MLP adds to the residual stream ("mlp-out"). */
  mlpOutputs: Float64Array[];
  /**
   * Per layer, T × d, with `keep.residuals`: the residual stream entering the layer ("resid-pre"),
   * after its attention ("resid-mid") and after its MLP ("resid-post"); empty otherwise.
   */
  residPre: Float64Array[];
  residMid: Float64Array[];
  residPost: Float64Array[];
}

/**
 * The forward pass over one sequence of token ids. `keep` chooses what to record besides the
 * logits (the MLP inputs/outputs of every layer cost T × d each).
 */
/**
 * A change to the forward pass at one layer's hook point: the MLP's input (the normalised residual
 * stream it reads), its output (what it adds to the stream), or the residual stream itself before
 * the layer, after its attention or after its MLP, replaced by `replace` of it — an SAE's
 * reconstruction, zeros, … — to measure what the replacement costs in loss.
 */
export interface Intervention {
  layer: number;
  point: HookPoint;
  /** T × d in, T × d out. */
  replace(values: Float64Array, count: number): Float64Array;
}

export function traceLanguageModel(
  model: LanguageModel,
  tokens: ArrayLike<number>,
  keep: { mlp?: boolean; residuals?: boolean; logits?: boolean; intervene?: Intervention } = {},
): LanguageModelTrace {
  const settings = forwardSettings(model);
  const d = model.modelDim;
  const count = tokens.length;
  if (count === 0) throw new LanguageModelForwardError('the sequence is empty');
  let x: Float64Array = new Float64Array(count * d);
  for (let t = 0; t < count; t++) {
    const token = tokens[t] as number;
    if (!Number.isInteger(token) || token < 0 || token >= model.vocabSize) {
      throw new LanguageModelForwardError(
        `token ${token} at position ${t} is outside the vocabulary 0..${model.vocabSize - 1}`,
      );
    }
    x.set(model.embedding.data.subarray(token * d, (token + 1) * d), t * d);
  }
  const mlpInputs: Float64Array[] = [];
  const mlpOutputs: Float64Array[] = [];
  const residPre: Float64Array[] = [];
  const residMid: Float64Array[] = [];
  const residPost: Float64Array[] = [];
  const intervention = keep.intervene;
  model.layers.forEach((layer, index) => {
    const here = intervention?.layer === index ? intervention : undefined;
    if (here?.point === 'resid-pre') x = checkedReplacement(here, x, count).slice();
    if (keep.residuals) residPre.push(x.slice());
    const attended = attention(layer, rmsRows(x, count, d, settings.normalize), count, d, settings);
    for (let i = 0; i < x.length; i++)
      x[i] = (x[i] as number) + settings.attentionScale * (attended[i] as number);
    if (here?.point === 'resid-mid') x = checkedReplacement(here, x, count).slice();
    if (keep.residuals) residMid.push(x.slice());
    let input = rmsRows(x, count, d, settings.normalize);
    if (here?.point === 'mlp-in') input = checkedReplacement(here, input, count);
    let added = mlp(layer, input, count, model.gate);
    if (here?.point === 'mlp-out') added = checkedReplacement(here, added, count);
    for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) + (added[i] as number);
    if (here?.point === 'resid-post') x = checkedReplacement(here, x, count).slice();
    if (keep.residuals) residPost.push(x.slice());
    if (keep.mlp) {
      mlpInputs.push(input);
      mlpOutputs.push(added);
    }
  });
  x = rmsRows(x, count, d, settings.normalize);
  const logits = keep.logits === false ? new Float64Array(0) : applyRows(model.unembedding, x, count);
  return { logits, mlpInputs, mlpOutputs, residPre, residMid, residPost };
}

/** One layer's activations at `point` from a trace kept with `mlp` (mlp points) or `residuals`. */
export function hookValues(trace: LanguageModelTrace, layer: number, point: HookPoint): Float64Array {
  const byPoint: Record<HookPoint, Float64Array[]> = {
    'mlp-in': trace.mlpInputs,
    'mlp-out': trace.mlpOutputs,
    'resid-pre': trace.residPre,
    'resid-mid': trace.residMid,
    'resid-post': trace.residPost,
  };
  const values = byPoint[point][layer];
  if (values === undefined) {
    throw new LanguageModelForwardError(
      `the trace holds no ${point} values for layer ${layer} (keep ${point.startsWith('mlp') ? 'mlp' : 'residuals'})`,
    );
  }
  return values;
}

function checkedReplacement(intervention: Intervention, values: Float64Array, count: number): Float64Array {
  const replaced = intervention.replace(values, count);
  if (replaced.length !== values.length) {
    throw new LanguageModelForwardError(
      `the replacement at layer ${intervention.layer} ${intervention.point} has ${replaced.length} values, not ${values.length}`,
    );
  }
  return replaced;
}

/** T × V logits of one sequence. */
export function languageModelLogits(model: LanguageModel, tokens: ArrayLike<number>): Float64Array {
  return traceLanguageModel(model, tokens).logits;
}

export interface LanguageModelLoss {
  /** Mean next-token cross-entropy (nats) over every predicted position of every sequence. */
  loss: number;
  /** Positions predicted: Σ (length − 1). */
  tokens: number;
  perplexity: number;
}

/**
 * The reference criterion: cross-entropy of logits[:-1] against tokens[1:], averaged over every
 * position of every sequence (log-sum-exp with the maximum subtracted).
 */
export function languageModelLoss(
  model: LanguageModel,
  sequences: readonly ArrayLike<number>[],
  intervene?: Intervention,
): LanguageModelLoss {
  let total = 0;
  let predicted = 0;
  const vocab = model.vocabSize;
  for (const sequence of sequences) {
    if (sequence.length < 2) continue;
    const logits = traceLanguageModel(model, sequence, intervene ? { intervene } : {}).logits;
    for (let t = 0; t + 1 < sequence.length; t++) {
      const row = logits.subarray(t * vocab, (t + 1) * vocab);
      let largest = Number.NEGATIVE_INFINITY;
      for (let v = 0; v < vocab; v++) largest = Math.max(largest, row[v] as number);
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp((row[v] as number) - largest);
      total += largest + Math.log(sum) - (row[sequence[t + 1] as number] as number);
      predicted++;
    }
  }
  if (predicted === 0) throw new LanguageModelForwardError('no sequence has two tokens: nothing to predict');
  const loss = total / predicted;
  return { loss, tokens: predicted, perplexity: Math.exp(loss) };
}

/**
 * `count` of the model's own normalised MLP inputs at `layer`: seeded random token sequences of up
 * to `length` tokens through the forward pass — inputs with the statistics the MLP really sees,
 * for checking a decomposition's exactness where no corpus is at hand.
 */
export function sampleMlpInputs(
  model: LanguageModel,
  layer: number,
  count: number,
  options: { seed?: number; length?: number } = {},
): Float64Array {
  if (layer < 0 || layer >= model.layers.length) {
    throw new LanguageModelForwardError(
      `layer ${layer} does not exist: the model has layers 0..${model.layers.length - 1}`,
    );
  }
  const length = Math.max(1, options.length ?? model.config?.context ?? 64);
  const random = seededRandom(options.seed ?? 0);
  const d = model.modelDim;
  const out = new Float64Array(count * d);
  for (let filled = 0; filled < count; ) {
    const take = Math.min(length, count - filled);
    const tokens = Array.from({ length: take }, () => Math.floor(random() * model.vocabSize));
    const inputs = traceLanguageModel(model, tokens, { mlp: true, logits: false }).mlpInputs[
      layer
    ] as Float64Array;
    out.set(inputs, filled * d);
    filled += take;
  }
  return out;
}
