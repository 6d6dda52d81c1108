import { symmetricEigen, type TridiagonalReduction } from '../eigen/symmetric-eigen.js';
import { hiddenWeights, InteractionMatrixBuilder } from '../interaction/interaction-matrix.js';
import { productTransposedA, transpose } from '../linalg/matrix-product.js';
import { type ImportModelOptions, importModel } from '../model/import.js';
import { matrix, multiplyTransposedVector } from '../model/matrix.js';
import { type ReferenceForward, referenceForward } from '../model/reference-forward.js';
import type { BilinearModel } from '../model/types.js';
import type { SafetensorsFile } from '../safetensors/read.js';
import { type Entry, extremeEntries } from './readings.js';
import {
  DecompositionInputError,
  type DecompositionTarget,
  decompositionTarget,
  type TargetOptions,
} from './target.js';

export interface Eigenpair {
  /** Position in the output's descending spectrum. */
  rank: number;
  eigenvalue: number;
  /** Unit eigenvector of Q(u) in the layer's input space (length d). */
  vectorModel: Float64Array;
  /**
   * The same vector read in input space (Eᵀv: pixels; W_E v: tokens), or null if there is none or
   * it was not kept (DecomposeOptions.inputVectors).
   */
  vectorInput: Float64Array | null;
  /** How the vector reads for people, when DecomposeOptions.readingEntries asked for it. */
  reading: EigenvectorReading | null;
}

/**
 * A language model's eigenvector as people read it: its largest entries (descending) and smallest
 * (ascending) — over tokens (W_E v), or over an input SAE's features for DᵀQD.
 */
export interface EigenvectorReading {
  space: 'tokens' | 'features';
  top: Entry[];
  bottom: Entry[];
}

export interface OutputDecomposition {
  index: number;
  label: string;
  /** Every eigenvalue of Q(u), most positive first. */
  eigenvalues: Float64Array;
  /** (Σ|λ|)² / Σλ²: how many eigenvectors the output effectively uses. */
  effectiveRank: number;
  /** Up to k most positive eigenvalues (λ > 0), descending. */
  topPositive: Eigenpair[];
  /** Up to k most negative eigenvalues (λ < 0), most negative first. */
  topNegative: Eigenpair[];
  /**
   * The linear term of a residual block's output, a in Σ λ (vᵀx)² + aᵀx (length d, in the
   * decomposed layer's input space, as the eigenvectors); null when the output is a pure quadratic form.
   */
  linearModel: Float64Array | null;
  /** The same term read in input space (basisᵀ a, as vectorInput: aᵀx = (Eᵀa)·pixels), when there is one. */
  linearInput: Float64Array | null;
  /** Σ λ (vᵀx)² (+ aᵀx) over every eigenpair, per exactness sample; null without samples. */
  reconstructed: Float64Array | null;
  /** This output's worst relative error over the exactness samples (see Exactness); null without samples. */
  exactness: number | null;
}

export type SignConvention = 'mean-overlap' | 'largest-entry';

/**
 * A relative error above this means the outputs rebuilt from the eigenpairs are not the model's:
 * in float64 the rebuild agrees to ≈ 1e-15 · d, so anything near this bound is a misread model
 * (a gate or residual the decomposition did not see), not rounding.
 */
export const EXACTNESS_TOLERANCE = 1e-8;

/**
 * Outputs rebuilt as Σλ(vᵀx)² (+ aᵀx) from every eigenpair, against a forward pass. A sample's
 * relative error is its largest absolute error over the outputs divided by its largest output
 * magnitude; the figures are the worst over the samples.
 */
export interface Exactness {
  samples: number;
  maxRelError: number;
  maxAbsError: number;
  /**
   * What the rebuilt outputs were compared with: 'file' — the file's own forward pass, written apart
   * from the decomposition (referenceForward); 'model' — the model as imported, which cannot notice
   * a misread file (only when no file was at hand).
   */
  against: 'file' | 'model';
  /** maxRelError ≤ EXACTNESS_TOLERANCE. */
  passed: boolean;
}
export interface Decomposition {
  model: Record<string, unknown>;
  topK: number;
  signConvention: { method: SignConvention; space: 'input' | 'model'; description: string };
  outputs: OutputDecomposition[];
  exactness: Exactness | null;
  /** The forward pass on the exactness samples (samples × every requested output), for merging shards. */
  forward: Float64Array | null;
}

export interface DecomposeOptions extends TargetOptions {
  /** Eigenvectors kept per sign (default 32). */
  topK?: number;
  /** Samples for the exactness check (default 8; 0 skips it). */
  exactnessSamples?: number;
  /**
   * Real inputs (count × the model's input dim: pixels, or the MLP's input for a language model) for
   * the exactness check and the sign convention, instead of seeded ones.
   */
  sampleInputs?: Float64Array;
  /**
   * The file's own forward pass (referenceForward) to check the rebuilt outputs against. Without it
   * the check compares with the model as imported and says so (`against: 'model'`).
   */
  reference?: ReferenceForward;
  seed?: number;
  /**
   * Language models: list this many top and bottom entries of each eigenvector (tokens of W_E v, or
   * input features) as its `reading` (default 0: none).
   */
  readingEntries?: number;
  /**
   * Keep each eigenvector in input space as `vectorInput` (default true). A language model's is V
   * values per vector (16 MB per 4096-token direction at top-k 32): with thousands of directions,
   * keep the readings instead.
   */
  inputVectors?: boolean;
  /** Decompose only outputs whose position p in the list has p mod count = index (for threads). */
  shard?: { index: number; count: number };
  onProgress?: (done: number, total: number, label: string) => void;
}

/** Decomposes every requested output of a model into eigenvectors of its interaction matrix. */
export function decomposeModel(model: BilinearModel, options: DecomposeOptions = {}): Decomposition {
  return decomposeTarget(decompositionTarget(model, options), options);
}

/**
 * Decomposes a model file: the model as importModel reads it, checked for exactness against the
 * file's own forward pass. What the CLI, the worker and the decomposition threads run.
 */
export function decomposeFile(
  file: SafetensorsFile,
  importOptions: ImportModelOptions = {},
  options: Omit<DecomposeOptions, 'reference'> = {},
): Decomposition {
  const prepared = prepareFileDecomposition(file, importOptions, options);
  return decomposeTarget(prepared.target, prepared.options);
}

/**
 * What decomposeFile decomposes and with which options: the target of the model as importModel reads
 * it, and the file's own forward pass as the exactness reference when the check is on.
 */
export function prepareFileDecomposition(
  file: SafetensorsFile,
  importOptions: ImportModelOptions = {},
  options: Omit<DecomposeOptions, 'reference'> = {},
): { target: DecompositionTarget; options: DecomposeOptions } {
  const model = importModel(file, importOptions);
  return {
    target: decompositionTarget(model, options),
    options: withFileReference(file, importOptions, options),
  };
}

/**
 * The options with the file's own forward pass as the exactness reference when the check is on:
 * what prepareFileDecomposition adds, for a caller that has imported the model already.
 */
export function withFileReference(
  file: SafetensorsFile,
  importOptions: ImportModelOptions,
  options: Omit<DecomposeOptions, 'reference'>,
): DecomposeOptions {
  const wantsExactness = (options.exactnessSamples ?? DEFAULT_EXACTNESS_SAMPLES) > 0 || options.sampleInputs;
  return { ...options, ...(wantsExactness ? { reference: referenceForward(file, importOptions) } : {}) };
}

/** Seeded inputs for the exactness check unless told otherwise. */
export const DEFAULT_EXACTNESS_SAMPLES = 8;

export function decomposeTarget(target: DecompositionTarget, options: DecomposeOptions = {}): Decomposition {
  const run = startDecomposition(target, options);
  const shard = options.shard ?? { index: 0, count: 1 };
  const positions = target.outputs.map((_, j) => j).filter((j) => j % shard.count === shard.index);
  const outputs = positions.map((j, done) => {
    const output = run.output(j);
    options.onProgress?.(done + 1, positions.length, output.label);
    return output;
  });
  return run.finish(outputs, positions);
}

/**
 * A decomposition taken one output at a time: what decomposeTarget does in a loop, for callers that
 * build Q(u) themselves (many directions through the output tensor, split across threads).
 */
export interface DecompositionRun {
  /**
   * Output position j of the target, from Q(u_j) given (d × d, row-major) — or already reduced to
   * tridiagonal form (tridiagonalReduction) — or built here.
   */
  output(j: number, interaction?: Float64Array | TridiagonalReduction): OutputDecomposition;
  /** The decomposition of these outputs, at these positions of the target (ascending). */
  finish(outputs: OutputDecomposition[], positions: readonly number[]): Decomposition;
}

export function startDecomposition(
  target: DecompositionTarget,
  options: DecomposeOptions = {},
): DecompositionRun {
  const topK = options.topK ?? 32;
  if (!Number.isInteger(topK) || topK < 0)
    throw new RangeError(`topK must be a whole number ≥ 0, got ${topK}`);
  const sampleCount = options.exactnessSamples ?? DEFAULT_EXACTNESS_SAMPLES;
  const d = target.layer.left.cols;
  let builder: InteractionMatrixBuilder | undefined;
  const samples = exactnessSamples(target, sampleCount, options);
  const sampleRows = samples ? samples.count : 0;
  const orientation = signReference(target, samples && options.sampleInputs ? samples.layerInputs : null, d);
  const readingSpace: EigenvectorReading['space'] | null = target.reduction
    ? 'features'
    : target.inputMap?.space === 'tokens'
      ? 'tokens'
      : null;
  const readingEntries = readingSpace ? (options.readingEntries ?? 0) : 0;
  const keepInputVectors = options.inputVectors ?? true;

  const output = (j: number, interaction?: Float64Array | TridiagonalReduction): OutputDecomposition => {
    const { index, label } = target.outputs[j] as { index: number; label: string };
    const direction = target.directions.data.subarray(
      j * target.directions.cols,
      (j + 1) * target.directions.cols,
    );
    const order =
      interaction && ('reflectors' in interaction ? interaction.n : Math.sqrt(interaction.length));
    if (interaction && order !== d) {
      throw new RangeError(`the interaction matrix given is not of order d = ${d}`);
    }
    let q = interaction;
    if (!q) {
      builder ??= new InteractionMatrixBuilder(target.layer);
      // Read once by the eigensolver, which copies it into its own arena first.
      q = builder.inArena(hiddenWeights(target.projection, direction));
    }
    const eig = symmetricEigen(q, d, {
      vectors: { ends: topK },
      ...(samples && sampleRows > 0
        ? { coordinatesOf: { vectors: samples.layerInputs, count: sampleRows } }
        : {}),
    });
    const k = eig.vectorIndices.length;
    // A reduced problem's vectors live in the full space as basis · w, k × n in one GEMM.
    const solved = matrix(k, d, eig.vectors);
    const full = target.reduction
      ? productTransposedA(transpose(target.reduction.basis), transpose(solved))
      : null;
    const spaceDim = full ? full.rows : d;
    const vectorsOf = full ? transpose(full) : solved;
    // All of this output's vectors to input space in one GEMM: (Vᵀ)ᵀ·basis, k × input dim.
    const inputs = target.inputMap ? productTransposedA(transpose(vectorsOf), target.inputMap.basis) : null;
    const spectrum = withZeros(eig.values, target.reduction?.zeros ?? 0);
    const pairs: Eigenpair[] = [];
    eig.vectorIndices.forEach((solvedRank, c) => {
      const vectorModel = vectorsOf.data.slice(c * spaceDim, (c + 1) * spaceDim);
      const vectorInput = inputs ? inputs.data.slice(c * inputs.cols, (c + 1) * inputs.cols) : null;
      if (orientation.flip(eig.vectors.subarray(c * d, (c + 1) * d), vectorModel, vectorInput)) {
        negate(vectorModel);
        if (vectorInput) negate(vectorInput);
      }
      const rank = spectrum.rankOf(solvedRank);
      const read = readingSpace === 'tokens' ? vectorInput : vectorModel;
      const reading =
        readingSpace && readingEntries > 0 && read
          ? { space: readingSpace, ...extremeEntries(read, readingEntries) }
          : null;
      pairs.push({
        rank,
        eigenvalue: spectrum.values[rank] as number,
        vectorModel,
        vectorInput: keepInputVectors ? vectorInput : null,
        reading,
      });
    });

    // The linear readout's contribution uᵀ L x = aᵀx, with a = Lᵀu.
    const linear = target.linearReadout ? multiplyTransposedVector(target.linearReadout, direction) : null;
    const linearInput =
      linear && target.inputMap ? multiplyTransposedVector(target.inputMap.basis, linear) : null;
    let reconstructed: Float64Array | null = null;
    if (samples && eig.coordinates) {
      reconstructed = new Float64Array(sampleRows);
      for (let s = 0; s < sampleRows; s++) {
        let rebuilt = 0;
        for (let r = 0; r < d; r++) {
          rebuilt += (eig.values[r] as number) * (eig.coordinates[s * d + r] as number) ** 2;
        }
        if (linear) {
          for (let i = 0; i < d; i++)
            rebuilt += (linear[i] as number) * (samples.layerInputs[s * d + i] as number);
        }
        reconstructed[s] = rebuilt;
      }
    }
    const n = spectrum.values.length;
    return {
      index,
      label,
      eigenvalues: spectrum.values,
      effectiveRank: effectiveRank(spectrum.values),
      topPositive: pairs.filter((p) => p.eigenvalue > 0 && p.rank < topK).sort((a, b) => a.rank - b.rank),
      topNegative: pairs
        .filter((p) => p.eigenvalue < 0 && p.rank >= n - topK)
        .sort((a, b) => b.rank - a.rank),
      linearModel: linear,
      linearInput,
      reconstructed,
      exactness:
        samples && reconstructed
          ? outputError(samples.outputs, reconstructed, j, target.outputs.length)
          : null,
    };
  };

  const finish = (outputs: OutputDecomposition[], positions: readonly number[]): Decomposition => {
    const forward = samples ? samples.outputs : null;
    return {
      model: target.describe,
      topK,
      signConvention: orientation.convention,
      outputs,
      exactness:
        forward && samples
          ? measureExactness(forward, outputs, positions, target.outputs.length, samples.against)
          : null,
      forward,
    };
  };
  return { output, finish };
}

/**
 * The exactness samples: inputs (seeded, or the caller's), the decomposed layer's input for each
 * through the model, and the true outputs — from the file's reference forward pass when given.
 */
function exactnessSamples(target: DecompositionTarget, sampleCount: number, options: DecomposeOptions) {
  if (!(sampleCount > 0 || options.sampleInputs)) return null;
  const inputs = options.sampleInputs ?? target.sampleInputs(sampleCount, options.seed ?? 0);
  if (inputs.length % target.inputDim !== 0) {
    throw new DecompositionInputError(
      `sampleInputs has ${inputs.length} values, not a whole number of inputs of ${target.inputDim}`,
    );
  }
  const count = inputs.length / target.inputDim;
  const outputs = options.reference
    ? target.referenceOutputs(options.reference, inputs, count)
    : target.modelOutputs(inputs, count);
  return {
    count,
    layerInputs: target.layerInputsOf(inputs, count),
    outputs,
    against: options.reference ? ('file' as const) : ('model' as const),
  };
}

/**
 * Joins decompositions of the shards of one request (same model, options and seed; shard i of n)
 * into the decomposition a single call would have produced.
 */
export function mergeShards(shards: readonly Decomposition[]): Decomposition {
  const first = shards[0];
  if (!first) throw new RangeError('no shards to merge');
  const count = shards.length;
  const total = shards.reduce((sum, shard) => sum + shard.outputs.length, 0);
  const outputs: OutputDecomposition[] = [];
  for (let j = 0; j < total; j++) {
    const output = shards[j % count]?.outputs[Math.floor(j / count)];
    if (!output) throw new RangeError(`shard ${j % count} of ${count} lacks output position ${j}`);
    outputs.push(output);
  }
  return {
    ...first,
    outputs,
    exactness:
      first.forward && first.exactness
        ? measureExactness(
            first.forward,
            outputs,
            outputs.map((_, j) => j),
            total,
            first.exactness.against,
          )
        : null,
  };
}

/** Worst absolute and per-sample relative error of the reconstructions against the forward pass. */
function measureExactness(
  forward: Float64Array,
  outputs: readonly OutputDecomposition[],
  positions: readonly number[],
  total: number,
  against: Exactness['against'],
): Exactness {
  const samples = forward.length / total;
  let maxAbsError = 0;
  let maxRelError = 0;
  for (let s = 0; s < samples; s++) {
    let scale = 0;
    for (let j = 0; j < total; j++) scale = Math.max(scale, Math.abs(forward[s * total + j] as number));
    let worst = 0;
    outputs.forEach((output, o) => {
      const j = positions[o] as number;
      const rebuilt = output.reconstructed?.[s];
      if (rebuilt === undefined) return;
      worst = Math.max(worst, Math.abs(rebuilt - (forward[s * total + j] as number)));
    });
    maxAbsError = Math.max(maxAbsError, worst);
    maxRelError = Math.max(maxRelError, worst / (scale === 0 ? 1 : scale));
  }
  return { samples, maxRelError, maxAbsError, against, passed: maxRelError <= EXACTNESS_TOLERANCE };
}

/**
 * One output's worst relative error over the samples, each sample's error divided by its largest
 * output magnitude over every requested output (the scale measureExactness uses).
 */
function outputError(
  forward: Float64Array,
  reconstructed: Float64Array,
  position: number,
  total: number,
): number {
  let worst = 0;
  for (let s = 0; s < reconstructed.length; s++) {
    let scale = 0;
    for (let j = 0; j < total; j++) scale = Math.max(scale, Math.abs(forward[s * total + j] as number));
    const error = Math.abs((reconstructed[s] as number) - (forward[s * total + position] as number));
    worst = Math.max(worst, error / (scale === 0 ? 1 : scale));
  }
  return worst;
}

/**
 * A reduced problem's eigenvalues with the `zeros` zero eigenvalues of the full space inserted after
 * the positive ones (most positive first throughout), and where each solved rank lands.
 */
function withZeros(values: Float64Array, zeros: number) {
  if (zeros === 0) return { values, rankOf: (rank: number) => rank };
  let positives = 0;
  while (positives < values.length && (values[positives] as number) > 0) positives++;
  const full = new Float64Array(values.length + zeros);
  full.set(values.subarray(0, positives), 0);
  full.set(values.subarray(positives), positives + zeros);
  return { values: full, rankOf: (rank: number) => (rank < positives ? rank : rank + zeros) };
}

function negate(x: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i] = -(x[i] as number);
}

/** (Σ|λ|)² / Σλ²; 0 for an all-zero spectrum. */
export function effectiveRank(values: ArrayLike<number>): number {
  let sumAbs = 0;
  let sumSq = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    sumAbs += Math.abs(x);
    sumSq += x * x;
  }
  return sumSq === 0 ? 0 : (sumAbs * sumAbs) / sumSq;
}

/**
 * The sign convention: with real inputs, flip each eigenvector so its mean overlap with the data is
 * positive (it then reads as "present in typical inputs"); without, make its largest-magnitude
 * entry positive, in input space when there is one.
 */
function signReference(target: DecompositionTarget, layerInputs: Float64Array | null, d: number) {
  if (layerInputs && layerInputs.length > 0) {
    const mean = new Float64Array(d);
    const rows = layerInputs.length / d;
    for (let s = 0; s < rows; s++)
      for (let i = 0; i < d; i++) mean[i] = (mean[i] as number) + (layerInputs[s * d + i] as number) / rows;
    return {
      convention: {
        method: 'mean-overlap' as const,
        space: 'model' as const,
        description: 'each eigenvector v is flipped so that vᵀ mean(x) ≥ 0 over the sample inputs',
      },
      flip(solved: Float64Array): boolean {
        let overlap = 0;
        for (let i = 0; i < d; i++) overlap += (solved[i] as number) * (mean[i] as number);
        return overlap < 0;
      },
    };
  }
  const space = target.inputMap ? ('input' as const) : ('model' as const);
  return {
    convention: {
      method: 'largest-entry' as const,
      space,
      description: `each eigenvector is flipped so that its largest-magnitude entry in ${space} space is positive`,
    },
    flip(_solved: Float64Array, vectorModel: Float64Array, vectorInput: Float64Array | null): boolean {
      const reference = vectorInput ?? vectorModel;
      let largest = 0;
      for (let i = 0; i < reference.length; i++) {
        if (Math.abs(reference[i] as number) > Math.abs(largest)) largest = reference[i] as number;
      }
      return largest < 0;
    },
  };
}
