import {
  declaredConfigOptions,
  type ImageClassifierModel,
  importModel,
  parseSafetensors,
} from '@bilinear-lab/core';
import { platformRequest } from '../platform';
import type { Model } from '../types';

// Parsed checkpoints by model id. A checkpoint never changes once written, and the caller has just
// read the model through the API with the user's own key, so sharing the parsed weights is safe.
const CACHE_LIMIT = 4;
const cache = new Map<string, Promise<ImageClassifierModel>>();

/** The model's checkpoint as the core reads it: gate and residual from the file's own config. */
export async function classifierFor(key: string, model: Model): Promise<ImageClassifierModel> {
  let pending = cache.get(model.id);
  if (!pending) {
    pending = (async () => {
      const response = await platformRequest(
        key,
        `/api/v1/models/${encodeURIComponent(model.id)}/checkpoint`,
      );
      const bytes = new Uint8Array(await response.arrayBuffer());
      const imported = importModel(parseSafetensors(bytes), declaredConfigOptions(model.config));
      if (imported.layout !== 'image-classifier') {
        throw new Error(`model ${model.name} is a ${imported.layout}; explanations need an image classifier`);
      }
      return imported;
    })();
    cache.set(model.id, pending);
    pending.catch(() => cache.delete(model.id));
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  }
  return pending;
}
