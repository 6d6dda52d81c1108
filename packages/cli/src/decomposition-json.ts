import type { Decomposition, Eigenpair } from '@bilinear-lab/core';

export interface Timing {
  /** Wall-clock seconds of the decomposition itself (reading and parsing the file not included). */
  seconds: number;
}

interface EigenpairJson {
  rank: number;
  eigenvalue: number;
  vector_model: number[];
  vector_input: number[] | null;
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
  }[];
  sign_convention: { method: string; space: string; description: string };
  exactness: { samples: number; max_rel_error: number; max_abs_error: number } | null;
  timing: { seconds: number };
}

export function decompositionDocument(decomposition: Decomposition, timing: Timing): DecompositionDocument {
  const { method, space, description } = decomposition.signConvention;
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
    })),
    sign_convention: { method, space, description },
    exactness:
      exactness === null
        ? null
        : {
            samples: exactness.samples,
            max_rel_error: exactness.maxRelError,
            max_abs_error: exactness.maxAbsError,
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

function eigenpairJson(pair: Eigenpair): EigenpairJson {
  return {
    rank: pair.rank,
    eigenvalue: pair.eigenvalue,
    vector_model: Array.from(pair.vectorModel),
    vector_input: pair.vectorInput === null ? null : Array.from(pair.vectorInput),
  };
}
