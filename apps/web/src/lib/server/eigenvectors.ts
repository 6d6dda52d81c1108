import { platformRequest } from '../platform';
import { requireSessionKey } from '../session';

export interface ServerEigenvectors {
  rows: number;
  dimension: number;
  eigenvalues: number[];
  positiveCount: number;
  vectors: Float32Array;
}

// Eigenvectors of a finished decomposition never change: keep the last few blocks read (≈ 100 KB each).
const CACHE_LIMIT = 64;
const cache = new Map<string, ServerEigenvectors>();

/** One output's top-k eigenvectors (both signs) as float32, read from the API with the session's key. */
export async function serverEigenvectors(
  decompositionId: string,
  output: number,
  k: number,
  space: 'input' | 'model' = 'input',
): Promise<ServerEigenvectors> {
  const key = await requireSessionKey();
  const path = `/api/v1/decompositions/${encodeURIComponent(decompositionId)}/outputs/${output}/eigenvectors?space=${space}&k=${k}&sign=both&format=f32`;
  // The cache is keyed by the key too: a user only ever sees what the API showed them.
  const cacheKey = `${key}\n${path}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const response = await platformRequest(key, path);
  const [rows = 0, dimension = 0] = (response.headers.get('x-shape') ?? '').split(',').map(Number);
  const eigenvalues = (response.headers.get('x-eigenvalues') ?? '')
    .split(',')
    .filter((value) => value.trim() !== '')
    .map(Number);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength !== rows * dimension * 4) {
    throw new Error(
      `eigenvectors of output ${output}: ${bytes.byteLength} bytes for shape ${rows}×${dimension}`,
    );
  }
  // Copied into an aligned buffer: the response's bytes may start at any offset.
  const vectors = new Float32Array(rows * dimension);
  new Uint8Array(vectors.buffer).set(bytes);
  const block = {
    rows,
    dimension,
    eigenvalues,
    positiveCount: eigenvalues.filter((value) => value > 0).length,
    vectors,
  };
  cache.set(cacheKey, block);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return block;
}

/** The row of a vector named p1…pk / n1…nk, or -1. */
export function vectorRow(block: ServerEigenvectors, name: string): number {
  const match = /^([pn])([1-9]\d*)$/.exec(name);
  if (!match) return -1;
  const rank = Number(match[2]) - 1;
  if (match[1] === 'p') return rank < block.positiveCount ? rank : -1;
  const row = block.positiveCount + rank;
  return row < block.rows ? row : -1;
}
