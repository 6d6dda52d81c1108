'use client';

// Eigenvectors travel as raw little-endian float32 (X-Shape "rows,dimension", X-Eigenvalues), through
// the dashboard's pass-through: 32 × 784 values are 100 KB as bytes, about 3× that as JSON, and they
// go straight into a Float32Array without parsing.

export interface EigenvectorBlock {
  rows: number;
  dimension: number;
  /** Per row; rows are the top-k positive (descending λ) then top-k negative (ascending λ). */
  eigenvalues: number[];
  positiveCount: number;
  vectors: Float32Array;
}

const cache = new Map<string, Promise<EigenvectorBlock>>();

export function eigenvectorUrl(decompositionId: string, output: number, k: number, space = 'input'): string {
  return `/api/platform/decompositions/${encodeURIComponent(decompositionId)}/outputs/${output}/eigenvectors?space=${space}&k=${k}&sign=both&format=f32`;
}

export function fetchEigenvectors(
  decompositionId: string,
  output: number,
  k: number,
  space: 'input' | 'model' = 'input',
): Promise<EigenvectorBlock> {
  const url = eigenvectorUrl(decompositionId, output, k, space);
  let pending = cache.get(url);
  if (!pending) {
    pending = load(url);
    cache.set(url, pending);
    pending.catch(() => cache.delete(url));
  }
  return pending;
}

async function load(url: string): Promise<EigenvectorBlock> {
  const response = await fetch(url);
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `eigenvectors: the server answered ${response.status}`);
  }
  const shape = (response.headers.get('x-shape') ?? '').split(',').map(Number);
  const buffer = await response.arrayBuffer();
  const rows = shape[0] ?? 0;
  const dimension = shape[1] ?? (rows > 0 ? buffer.byteLength / 4 / rows : 0);
  const eigenvalues = (response.headers.get('x-eigenvalues') ?? '')
    .split(',')
    .filter((value) => value.trim() !== '')
    .map(Number);
  if (buffer.byteLength !== rows * dimension * 4) {
    throw new Error(
      `eigenvectors: ${buffer.byteLength} bytes do not hold ${rows} × ${dimension} float32 values`,
    );
  }
  return {
    rows,
    dimension,
    eigenvalues,
    positiveCount: eigenvalues.filter((value) => value > 0).length,
    vectors: new Float32Array(buffer),
  };
}
