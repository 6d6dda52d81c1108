import { type Decomposition, type Eigenpair, EXACTNESS_TOLERANCE } from '@bilinear-lab/core';

export interface Timing {
  /** Wall-clock seconds of the decomposition itself (reading and parsing the file not included). */
  seconds: number;
}

/** Entries of an eigenvector listed for a language model (tokens of W_E v, or input features): the core's `readingEntries`. */
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
  // Assigned in place, so "outputs" keeps its position among the keys.
  const document = documentParts(decomposition, timing);
  document.outputs = decomposition.outputs.map(outputDocument);
  return document;
}

/** Everything but the outputs, in the document's key order around them. */
function documentParts(decomposition: Decomposition, timing: Timing) {
  const { method, space, description } = decomposition.signConvention;
  const { exactness } = decomposition;
  return {
    model: decomposition.model,
    top_k: decomposition.topK,
    outputs: [] as DecompositionDocument['outputs'],
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

function outputDocument(output: Decomposition['outputs'][number]): DecompositionDocument['outputs'][number] {
  return {
    index: output.index,
    label: output.label,
    eigenvalues: Array.from(output.eigenvalues),
    effective_rank: output.effectiveRank,
    top_positive: output.topPositive.map(eigenpairDocument),
    top_negative: output.topNegative.map(eigenpairDocument),
    linear_model: output.linearModel === null ? null : Array.from(output.linearModel),
    linear_input: output.linearInput === null ? null : Array.from(output.linearInput),
  };
}

/**
 * The JSON text in pieces, one output at a time: thousands of language-model directions make a
 * document larger than the longest string V8 can hold (~512 MB), so writers take it piece by piece.
 * Joined, the pieces are exactly decompositionJson's text.
 */
export function* decompositionJsonChunks(decomposition: Decomposition, timing: Timing): Generator<string> {
  yield decompositionJsonHead(decomposition.model, decomposition.topK);
  for (let j = 0; j < decomposition.outputs.length; j++) {
    yield outputJson(decomposition.outputs[j] as Decomposition['outputs'][number], j);
  }
  yield decompositionJsonTail(decomposition, timing);
}

/** The document up to its first output: what is known before any output is decomposed. */
export function decompositionJsonHead(model: Decomposition['model'], topK: number): string {
  return `${JSON.stringify({ model, top_k: topK }).slice(0, -1)},"outputs":[`;
}

/** The output at position j of the document's "outputs" (with its separating comma). */
export function outputJson(output: Decomposition['outputs'][number], position: number): string {
  return (position === 0 ? '' : ',') + JSON.stringify(outputDocument(output));
}

/** The rest of the document after its outputs (sign convention, exactness, timing). */
export function decompositionJsonTail(decomposition: Decomposition, timing: Timing): string {
  const { model: _model, top_k: _topK, outputs: _outputs, ...after } = documentParts(decomposition, timing);
  return `],${JSON.stringify(after).slice(1)}`;
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

function eigenpairDocument(pair: Eigenpair): EigenpairJson {
  const document: EigenpairJson = {
    rank: pair.rank,
    eigenvalue: pair.eigenvalue,
    vector_model: Array.from(pair.vectorModel),
    vector_input: pair.vectorInput === null ? null : Array.from(pair.vectorInput),
  };
  const { reading } = pair;
  if (reading) {
    const entries = (list: typeof reading.top) =>
      list.map(({ index, value }) => ({ id: index, weight: value }));
    if (reading.space === 'tokens') {
      document.top_tokens = entries(reading.top);
      document.bottom_tokens = entries(reading.bottom);
    } else {
      document.top_features = entries(reading.top);
      document.bottom_features = entries(reading.bottom);
    }
  }
  return document;
}
