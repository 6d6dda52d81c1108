// The TopK sparse autoencoder of the reference code (tdooms/bilinear-decomposition src/sae/sae.py,
// its defaults: no encoder bias, unit decoder columns), as plain typed-array math:
//   encode: h = TopK_k(W_enc (x − b_dec))   (the k largest pre-activations kept, sign and all; no ReLU)
//   decode: x̂ = W_dec h + b_dec
//   loss:   MSE = Σ (x̂ − x)² / (n · d)      (torch's (x − x_hat).pow(2).mean())
// and its exact gradient: the TopK mask is a constant of the forward pass, so only the k selected
// pre-activations of each row carry gradient. The dense part (W_enc over every feature) is n·F·d
// multiply-adds (the core's SIMD GEMM); everything after the selection is n·k·d.
import { matrix, productTransposedA, seededRandom } from '@bilinear-lab/core';

/** Parameters are float32 as the official files and torch hold them; float64 works too (finite-difference tests). */
export type FloatArray = Float32Array | Float64Array;

/** The official layout, row-major. */
export interface TopKSaeWeights {
  features: number;
  modelDim: number;
  /** w_enc.weight [F, d]. */
  encoder: FloatArray;
  /** w_dec.weight [d, F], unit columns. */
  decoder: FloatArray;
  /** b_dec [d]. */
  decoderBias: FloatArray;
}

export interface TopKSaeFloat32 extends TopKSaeWeights {
  encoder: Float32Array;
  decoder: Float32Array;
  decoderBias: Float32Array;
}

export class SaeShapeError extends Error {
  override readonly name = 'SaeShapeError';
}

/**
 * The reference initialisation, seeded: w_dec as nn.Linear(F, d) draws it, U(−1/√F, 1/√F) (kaiming
 * uniform with a = √5), each column then scaled to unit norm; w_enc = w_decᵀ; b_dec = 0.
 */
export function initialTopKSae(features: number, modelDim: number, seed: number): TopKSaeFloat32 {
  checkSizes(features, modelDim);
  const random = seededRandom(seed);
  const bound = 1 / Math.sqrt(features);
  const draws = Float64Array.from({ length: modelDim * features }, () => bound * (2 * random() - 1));
  const decoder = new Float32Array(modelDim * features);
  for (let f = 0; f < features; f++) {
    let squares = 0;
    for (let i = 0; i < modelDim; i++) squares += (draws[i * features + f] as number) ** 2;
    const norm = Math.sqrt(squares);
    for (let i = 0; i < modelDim; i++) decoder[i * features + f] = (draws[i * features + f] as number) / norm;
  }
  return {
    features,
    modelDim,
    encoder: transposed(decoder, modelDim, features),
    decoder,
    decoderBias: new Float32Array(modelDim),
  };
}

/** rows × cols → cols × rows, float32. */
function transposed(values: FloatArray, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] as number;
  return out;
}

function checkSizes(features: number, modelDim: number): void {
  if (!(Number.isSafeInteger(features) && features >= 1)) {
    throw new SaeShapeError(`features must be a whole number ≥ 1, got ${features}`);
  }
  if (!(Number.isSafeInteger(modelDim) && modelDim >= 1)) {
    throw new SaeShapeError(`modelDim must be a whole number ≥ 1, got ${modelDim}`);
  }
}

/** Each row's selected features and their pre-activations, n × k row-major, indices ascending by feature. */
export interface TopKCodes {
  k: number;
  indices: Int32Array;
  values: Float64Array;
}

export interface TopKSaePass {
  /** The batch's MSE, mean over rows and dimensions. */
  mse: number;
  /** Σ‖x − x̂‖² over the batch (the MSE's numerator). */
  squaredError: number;
  /** Σ‖x − mean(x)‖² over the batch, the batch's own variance (for explained variance). */
  totalVariance: number;
  codes: TopKCodes;
}

export interface TopKSaeGradients extends TopKSaePass {
  /** ∂MSE/∂w_enc.weight [F, d]; rows of features never selected are 0. */
  encoder: Float64Array;
  /** ∂MSE/∂w_dec.weight [d, F]. */
  decoder: Float64Array;
  /** ∂MSE/∂b_dec [d]. */
  decoderBias: Float64Array;
}

/**
 * The k largest of `pre` (length F) into indices/values at `offset`, by a min-heap over the k kept
 * so far: O(F log k). Ties keep the lower feature index. Indices come out ascending.
 */
function selectTopK(
  pre: Float64Array,
  k: number,
  indices: Int32Array,
  values: Float64Array,
  offset: number,
  heap: Int32Array,
): void {
  const features = pre.length;
  // heap[0] is the smallest kept; "a below b" when a's value is smaller, or equal with a higher index.
  const below = (a: number, b: number) =>
    (pre[a] as number) < (pre[b] as number) || ((pre[a] as number) === (pre[b] as number) && a > b);
  const siftDown = (start: number) => {
    let at = start;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= k) return;
      const right = left + 1;
      const child = right < k && below(heap[right] as number, heap[left] as number) ? right : left;
      if (!below(heap[child] as number, heap[at] as number)) return;
      const swap = heap[at] as number;
      heap[at] = heap[child] as number;
      heap[child] = swap;
      at = child;
    }
  };
  for (let f = 0; f < k; f++) heap[f] = f;
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(i);
  for (let f = k; f < features; f++) {
    if (below(heap[0] as number, f)) {
      heap[0] = f;
      siftDown(0);
    }
  }
  const kept = heap.subarray(0, k).slice().sort();
  for (let s = 0; s < k; s++) {
    const f = kept[s] as number;
    indices[offset + s] = f;
    values[offset + s] = pre[f] as number;
  }
}

function checkBatch(sae: TopKSaeWeights, batch: ArrayLike<number>, rows: number, k: number): void {
  checkSizes(sae.features, sae.modelDim);
  if (!(Number.isSafeInteger(k) && k >= 1 && k <= sae.features)) {
    throw new SaeShapeError(`k must be a whole number from 1 to the ${sae.features} features, got ${k}`);
  }
  if (!(Number.isSafeInteger(rows) && rows >= 1) || batch.length < rows * sae.modelDim) {
    throw new SaeShapeError(
      `the batch has ${batch.length} values, fewer than ${rows} rows × d = ${sae.modelDim}`,
    );
  }
  const sizes: [string, number, number][] = [
    ['w_enc.weight', sae.encoder.length, sae.features * sae.modelDim],
    ['w_dec.weight', sae.decoder.length, sae.features * sae.modelDim],
    ['b_dec', sae.decoderBias.length, sae.modelDim],
  ];
  for (const [name, found, wanted] of sizes) {
    if (found !== wanted) throw new SaeShapeError(`${name} has ${found} values, expected ${wanted}`);
  }
}

/** The TopK codes of `rows` inputs (n × d row-major). */
export function encodeTopK(
  sae: TopKSaeWeights,
  batch: ArrayLike<number>,
  rows: number,
  k: number,
): TopKCodes {
  checkBatch(sae, batch, rows, k);
  return encodeRows(sae, batch, rows, k, null);
}

/** Rows encoded per GEMM: bounds the pre-activations held at once to this × F. */
const ENCODE_BLOCK = 1024;

/**
 * Encodes, keeping the centred inputs x − b_dec when `centred` is given (n × d). The dense part,
 * every pre-activation (x − b_dec) W_encᵀ, runs block by block through the core's SIMD GEMM.
 */
function encodeRows(
  sae: TopKSaeWeights,
  batch: ArrayLike<number>,
  rows: number,
  k: number,
  centred: Float64Array | null,
): TopKCodes {
  const { features, modelDim: d, encoder, decoderBias } = sae;
  const indices = new Int32Array(rows * k);
  const values = new Float64Array(rows * k);
  const heap = new Int32Array(k);
  // w_encᵀ [d, F], the GEMM's right operand.
  const encoderT = new Float64Array(d * features);
  for (let f = 0; f < features; f++) {
    for (let i = 0; i < d; i++) encoderT[i * features + f] = encoder[f * d + i] as number;
  }
  const right = matrix(d, features, encoderT);
  for (let start = 0; start < rows; start += ENCODE_BLOCK) {
    const count = Math.min(ENCODE_BLOCK, rows - start);
    // (x − b_dec)ᵀ [d, count], the left operand of Aᵀ B.
    const centredT = new Float64Array(d * count);
    for (let t = 0; t < count; t++) {
      for (let i = 0; i < d; i++) {
        const c = (batch[(start + t) * d + i] as number) - (decoderBias[i] as number);
        centredT[i * count + t] = c;
        if (centred) centred[(start + t) * d + i] = c;
      }
    }
    const pre = productTransposedA(matrix(d, count, centredT), right).data;
    for (let t = 0; t < count; t++) {
      selectTopK(pre.subarray(t * features, (t + 1) * features), k, indices, values, (start + t) * k, heap);
    }
  }
  return { k, indices, values };
}

/** x̂ = w_dec h + b_dec for every row of `codes` (n × d). */
export function decodeTopK(sae: TopKSaeWeights, codes: TopKCodes, rows: number): Float64Array {
  const { features, modelDim: d, decoder, decoderBias } = sae;
  const { k, indices, values } = codes;
  const out = new Float64Array(rows * d);
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < d; i++) {
      let sum = decoderBias[i] as number;
      const row = i * features;
      for (let s = 0; s < k; s++) {
        sum += (decoder[row + (indices[t * k + s] as number)] as number) * (values[t * k + s] as number);
      }
      out[t * d + i] = sum;
    }
  }
  return out;
}

/**
 * The batch's MSE and its gradient with respect to w_enc, w_dec and b_dec, in float64 whatever the
 * parameters' type. `batch` holds `rows` inputs of d values, row-major.
 */
export function topKSaeGradients(
  sae: TopKSaeWeights,
  batch: ArrayLike<number>,
  rows: number,
  k: number,
): TopKSaeGradients {
  checkBatch(sae, batch, rows, k);
  const { features, modelDim: d, encoder, decoder } = sae;
  const centred = new Float64Array(rows * d);
  const codes = encodeRows(sae, batch, rows, k, centred);
  const { indices, values } = codes;

  // w_dec transposed [F, d] so a feature's decoder direction is contiguous.
  const decoderT = new Float64Array(features * d);
  for (let i = 0; i < d; i++) {
    for (let f = 0; f < features; f++) decoderT[f * d + i] = decoder[i * features + f] as number;
  }
  const gradEncoder = new Float64Array(features * d);
  const gradDecoderT = new Float64Array(features * d);
  const gradBias = new Float64Array(d);
  const residual = new Float64Array(d);
  const upstream = new Float64Array(d);
  const gradCentred = new Float64Array(d);
  const scale = 2 / (rows * d);
  let squaredError = 0;
  const mean = new Float64Array(d);
  let sumSquares = 0;

  for (let t = 0; t < rows; t++) {
    // x̂ − x = w_dec h + b_dec − x = w_dec h − (x − b_dec).
    for (let i = 0; i < d; i++) residual[i] = -(centred[t * d + i] as number);
    for (let s = 0; s < k; s++) {
      const f = indices[t * k + s] as number;
      const h = values[t * k + s] as number;
      const column = f * d;
      for (let i = 0; i < d; i++)
        residual[i] = (residual[i] as number) + h * (decoderT[column + i] as number);
    }
    for (let i = 0; i < d; i++) {
      const r = residual[i] as number;
      squaredError += r * r;
      const x = batch[t * d + i] as number;
      mean[i] = (mean[i] as number) + x;
      sumSquares += x * x;
      const g = scale * r;
      upstream[i] = g;
      // b_dec enters the decoder directly (+g) and the encoder through x − b_dec (below).
      gradBias[i] = (gradBias[i] as number) + g;
      gradCentred[i] = 0;
    }
    for (let s = 0; s < k; s++) {
      const f = indices[t * k + s] as number;
      const h = values[t * k + s] as number;
      const column = f * d;
      let delta = 0;
      for (let i = 0; i < d; i++) {
        const g = upstream[i] as number;
        delta += (decoderT[column + i] as number) * g;
        gradDecoderT[column + i] = (gradDecoderT[column + i] as number) + h * g;
      }
      for (let i = 0; i < d; i++) {
        gradEncoder[column + i] =
          (gradEncoder[column + i] as number) + delta * (centred[t * d + i] as number);
        gradCentred[i] = (gradCentred[i] as number) + delta * (encoder[column + i] as number);
      }
    }
    for (let i = 0; i < d; i++) gradBias[i] = (gradBias[i] as number) - (gradCentred[i] as number);
  }

  const gradDecoder = new Float64Array(d * features);
  for (let f = 0; f < features; f++) {
    for (let i = 0; i < d; i++) gradDecoder[i * features + f] = gradDecoderT[f * d + i] as number;
  }
  let meanSquares = 0;
  for (let i = 0; i < d; i++) meanSquares += ((mean[i] as number) / rows) ** 2;
  return {
    mse: squaredError / (rows * d),
    squaredError,
    totalVariance: sumSquares - rows * meanSquares,
    codes,
    encoder: gradEncoder,
    decoder: gradDecoder,
    decoderBias: gradBias,
  };
}
