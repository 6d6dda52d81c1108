import { notFound } from 'next/navigation';
import { PlatformError, platform } from './platform';
import type { Decomposition, Model } from './types';

/** A decomposition of this project with its model, or the 404 page (never another project's data). */
export async function loadDecomposition(
  projectId: string,
  decompositionId: string,
): Promise<{ decomposition: Decomposition; model: Model }> {
  const decomposition = await platform.decomposition(decompositionId).catch((error: unknown) => {
    if (error instanceof PlatformError && (error.status === 404 || error.status === 400)) notFound();
    throw error;
  });
  const model = await platform.model(decomposition.modelId);
  if (model.projectId !== projectId) notFound();
  return { decomposition, model };
}
