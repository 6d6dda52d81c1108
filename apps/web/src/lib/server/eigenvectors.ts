import { decodeEigenvectorBlock, type EigenvectorBlock } from '@bilinear-lab/contracts/eigenvector-block';
import { platformRequest } from '../platform';
import { requireSessionKey } from '../session';

// Eigenvectors of a finished decomposition never change: keep the last few blocks read (≈ 100 KB each).
const CACHE_LIMIT = 64;
const cache = new Map<string, EigenvectorBlock>();

/** One output's top-k eigenvectors (both signs) as float32, read from the API with the session's key. */
export async function serverEigenvectors(
  decompositionId: string,
  output: number,
  k: number,
  space: 'input' | 'model' = 'input',
): Promise<EigenvectorBlock> {
  const key = await requireSessionKey();
  const path = `/api/v1/decompositions/${encodeURIComponent(decompositionId)}/outputs/${output}/eigenvectors?space=${space}&k=${k}&sign=both&format=f32`;
  // The cache is keyed by the key too: a user only ever sees what the API showed them.
  const cacheKey = `${key}\n${path}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const response = await platformRequest(key, path);
  let block: EigenvectorBlock;
  try {
    block = decodeEigenvectorBlock(response.headers, await response.arrayBuffer());
  } catch (error) {
    throw new Error(`eigenvectors of output ${output}: ${(error as Error).message}`);
  }
  cache.set(cacheKey, block);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return block;
}
