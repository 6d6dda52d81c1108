import { AnalysisInputError } from './common.js';

export interface SimilarityOptions {
  /**
   * Match one-to-one: take pairs by descending |cos| and keep a pair when neither row is taken yet
   * (greedy, not the optimal assignment). Default false: every row of a takes its best row of b,
   * and several rows of a may share one.
   */
  oneToOne?: boolean;
}

export interface EigenvectorSimilarity {
  /** Per row of a: |cos| with its matched row of b (0 where a one-to-one matching left it unmatched). */
  matchedCosine: Float64Array;
  /** Per row of a: the matched row of b, or −1 where a one-to-one matching ran out of rows of b. */
  matchedIndex: Int32Array;
  /** Signed cosines of every pair, ka × kb row-major. */
  cosines: Float64Array;
}

/**
 * Compares two sets of eigenvectors (e.g. the same class's top vectors from two seeds), rows of
 * length n. Cosines are taken in absolute value since an eigenvector's sign is arbitrary; rows need
 * not be unit norm but must be nonzero. Ties go to the lowest index of b.
 */
export function eigenvectorSimilarity(
  a: Float64Array,
  b: Float64Array,
  n: number,
  options: SimilarityOptions = {},
): EigenvectorSimilarity {
  if (!Number.isInteger(n) || n < 1)
    throw new AnalysisInputError(`vector length n must be a whole number ≥ 1, got ${n}`);
  const ka = rowCount(a, n, 'a');
  const kb = rowCount(b, n, 'b');
  const normsA = rowNorms(a, ka, n, 'a');
  const normsB = rowNorms(b, kb, n, 'b');
  const cosines = new Float64Array(ka * kb);
  for (let i = 0; i < ka; i++) {
    for (let j = 0; j < kb; j++) {
      let dot = 0;
      for (let t = 0; t < n; t++) dot += (a[i * n + t] as number) * (b[j * n + t] as number);
      // Clamped: rounding can push |cos| of parallel unit vectors just past 1.
      cosines[i * kb + j] = Math.max(-1, Math.min(1, dot / ((normsA[i] as number) * (normsB[j] as number))));
    }
  }
  const matchedCosine = new Float64Array(ka);
  const matchedIndex = new Int32Array(ka).fill(-1);
  if (options.oneToOne) {
    const pairs = Array.from({ length: ka * kb }, (_, p) => p).sort(
      (p, q) => Math.abs(cosines[q] as number) - Math.abs(cosines[p] as number) || p - q,
    );
    const takenB = new Uint8Array(kb);
    let left = Math.min(ka, kb);
    for (const p of pairs) {
      if (left === 0) break;
      const i = Math.floor(p / kb);
      const j = p % kb;
      if (matchedIndex[i] !== -1 || takenB[j]) continue;
      matchedIndex[i] = j;
      matchedCosine[i] = Math.abs(cosines[p] as number);
      takenB[j] = 1;
      left--;
    }
  } else {
    for (let i = 0; i < ka; i++) {
      for (let j = 0; j < kb; j++) {
        const value = Math.abs(cosines[i * kb + j] as number);
        if (matchedIndex[i] === -1 || value > (matchedCosine[i] as number)) {
          matchedIndex[i] = j;
          matchedCosine[i] = value;
        }
      }
    }
  }
  return { matchedCosine, matchedIndex, cosines };
}

/**
 * Effective rank of a spectrum, (Σ|λ|)² / Σλ²: between 1 (one nonzero value) and the count (all |λ|
 * equal). An all-zero spectrum gives 0 (no rank at all) rather than 0/0.
 */
export function spectrumEffectiveRank(values: ArrayLike<number>): number {
  return participation(values, 'spectrum');
}

/**
 * Effective support of a vector (e.g. an eigenvector in pixel space): the same formula over its
 * entries, roughly how many entries carry its weight. A zero vector gives 0.
 */
export function effectiveSupport(vector: ArrayLike<number>): number {
  return participation(vector, 'vector');
}

function participation(values: ArrayLike<number>, what: string): number {
  if (values.length === 0)
    throw new AnalysisInputError(`${what} is empty: effective rank needs at least one value`);
  let largest = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (!Number.isFinite(value)) throw new AnalysisInputError(`${what} entry ${i} is ${value}: not finite`);
    largest = Math.max(largest, Math.abs(value));
  }
  if (largest === 0) return 0;
  // Scaled by the largest entry so the squares can neither overflow nor underflow.
  let sumAbs = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const x = Math.abs(values[i] as number) / largest;
    sumAbs += x;
    sumSquares += x * x;
  }
  return (sumAbs * sumAbs) / sumSquares;
}

function rowCount(rows: Float64Array, n: number, name: string): number {
  if (rows.length === 0)
    throw new AnalysisInputError(`set ${name} is empty: it needs at least one vector of length ${n}`);
  if (rows.length % n !== 0) {
    throw new AnalysisInputError(
      `set ${name} has ${rows.length} entries, not a whole number of rows of length ${n}`,
    );
  }
  return rows.length / n;
}

function rowNorms(rows: Float64Array, count: number, n: number, name: string): Float64Array {
  const norms = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let t = 0; t < n; t++) sum += (rows[i * n + t] as number) ** 2;
    if (!(sum > 0) || !Number.isFinite(sum)) {
      throw new AnalysisInputError(
        `row ${i} of set ${name} has norm ${Math.sqrt(sum)}: cosines need nonzero finite rows`,
      );
    }
    norms[i] = Math.sqrt(sum);
  }
  return norms;
}
