'use client';

import { decodeEigenvectorBlock, type EigenvectorBlock } from '@bilinear-lab/contracts/eigenvector-block';

// Eigenvectors travel as raw little-endian float32 (`format=f32`) through the dashboard's
// pass-through: 32 × 784 values are 100 KB as bytes, about 3× that as JSON, and they go straight into
// a Float32Array without parsing. The headers are read by the contracts' decoder, the same one the
// dashboard's server uses (./server/eigenvectors.ts) — zod-free, so no schema reaches this bundle.

export type { EigenvectorBlock };

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
    pending = load(url, output);
    cache.set(url, pending);
    pending.catch(() => cache.delete(url));
  }
  return pending;
}

async function load(url: string, output: number): Promise<EigenvectorBlock> {
  const response = await fetch(url);
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `eigenvectors: the server answered ${response.status}`);
  }
  const bytes = await response.arrayBuffer();
  try {
    return decodeEigenvectorBlock(response.headers, bytes);
  } catch (error) {
    throw new Error(`eigenvectors of output ${output}: ${(error as Error).message}`);
  }
}
