import { type Decomposition, type Eigenpair, EXACTNESS_TOLERANCE, extremeEntries } from '@bilinear-lab/core';

export interface Timing {
  /** Wall-clock seconds of the decomposition itself (reading and parsing the file not included). */
  seconds: number;
}

/** Entries of an eigenvector listed for a language model (tokens of W_E v, or input features). */
export const READING_ENTRIES = 10;

interface EntryJson {
  id: number;
  weight: number;
}

interface EigenpairJson {
  rank: number;
  eigenvalue: number;
  vector_model: number[];
  vector_input: number[] | null;
  /** Language models: the tokens whose embeddings read the vector most (largest W_E v), and least. */
  top_tokens?: EntryJson[];
  bottom_tokens?: EntryJson[];
  /** Over an input SAE's features (DᵀQD): the features weighing most, and least. */
  top_features?: EntryJson[];
  bottom_features?: EntryJson[];
}

/** The `bilinear decompose` result, with the snake_case keys of its JSON form. */
export interface DecompositionDocument {
  model: Record<string, unknown>;
  top_k: number;
  outputs: {
    index: number;
    label: string;
    eigenvalues: number[];
    effective_rank: number;
    top_positive: EigenpairJson[];
    top_negative: EigenpairJson[];
    /**
     * A residual block's linear term: the output is Σ λ (vᵀx)² + aᵀx with a this vector (length d, in
     * the decomposed layer's input space, like vector_model); null for a pure quadratic form.
     */
    linear_model: number[] | null;
    /** The same term in input space, as vector_input (aᵀx = linear_input · pixels); null without one. */
    linear_input: number[] | null;
  }[];
  sign_convention: { method: string; space: string; description: string };
  exactness: {
    samples: number;
    max_rel_error: number;
    max_abs_error: number;
    /** What the rebuilt outputs were compared with: the file's own forward pass ("file"). */
    against: 'file' | 'model';
    tolerance: number;
    passed: boolean;
  } | null;
  timing: { seconds: number };
}

export function decompositionDocument(decomposition: Decomposition, timing: Timing): DecompositionDocument {
  const { method, space, description } = decomposition.signConvention;
  const reading = readingOf(decomposition.model);
  const eigenpairJson = (pair: Eigenpair) => eigenpairDocument(pair, reading);
  const { exactness } = decomposition;
  return {
    model: decomposition.model,
    top_k: decomposition.topK,
    outputs: decomposition.outputs.map((output) => ({
      index: output.index,
      label: output.label,
      eigenvalues: Array.from(output.eigenvalues),
      effective_rank: output.effectiveRank,
      top_positive: output.topPositive.map(eigenpairJson),
      top_negative: output.topNegative.map(eigenpairJson),
      linear_model: output.linearModel === null ? null : Array.from(output.linearModel),
      linear_input: output.linearInput === null ? null : Array.from(output.linearInput),
    })),
    sign_convention: { method, space, description },
    exactness:
      exactness === null
        ? null
        : {
            samples: exactness.samples,
            max_rel_error: exactness.maxRelError,
            max_abs_error: exactness.maxAbsError,
            against: exactness.against,
            tolerance: EXACTNESS_TOLERANCE,
            passed: exactness.passed,
          },
    timing: { seconds: timing.seconds },
  };
}

/**
 * The result as one line of JSON. Typed arrays become plain arrays first: JSON.stringify writes
 * each number in its shortest round-trip form, so every float64 reads back bit for bit, and its
 * number path was the fastest of those measured (a d = 512 result, ~10⁶ numbers and 17 MB, in
 * ~0.25 s; Float64Array#join and string concatenation were 1.5–2.5× slower).
 */
export function decompositionJson(decomposition: Decomposition, timing: Timing): string {
  return JSON.stringify(decompositionDocument(decomposition, timing));
}

/** How a language model's eigenvectors read: as tokens (model space) or as input features (DᵀQD). */
function readingOf(model: Record<string, unknown>): 'tokens' | 'features' | null {
  if (model.layout !== 'language-model') return null;
  return model.input_features ? 'features' : 'tokens';
}

function eigenpairDocument(pair: Eigenpair, reading: 'tokens' | 'features' | null): EigenpairJson {
  const document: EigenpairJson = {
    rank: pair.rank,
    eigenvalue: pair.eigenvalue,
    vector_model: Array.from(pair.vectorModel),
    vector_input: pair.vectorInput === null ? null : Array.from(pair.vectorInput),
  };
  const entries = (values: ArrayLike<number>) => {
    const { top, bottom } = extremeEntries(values, READING_ENTRIES);
    const json = (list: typeof top) => list.map(({ index, value }) => ({ id: index, weight: value }));
    return { top: json(top), bottom: json(bottom) };
  };
  if (reading === 'tokens' && pair.vectorInput !== null) {
    const { top, bottom } = entries(pair.vectorInput);
    document.top_tokens = top;
    document.bottom_tokens = bottom;
  } else if (reading === 'features') {
    const { top, bottom } = entries(pair.vectorModel);
    document.top_features = top;
    document.bottom_features = bottom;
  }
  return document;
}
