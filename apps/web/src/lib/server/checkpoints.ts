import {
  type BilinearModel,
  declaredConfigOptions,
  type ImageClassifierModel,
  importModel,
  importSparseAutoencoder,
  type LanguageModel,
  parseSafetensors,
  type SparseAutoencoder,
} from '@bilinear-lab/core';
import { platformRequest, platformWithKey } from '../platform';
import type { Model } from '../types';

// Parsed checkpoints (models and SAEs) by id. A checkpoint never changes once written, and the caller
// has just read the model through the API with the user's own key, so sharing the parsed weights is
// safe.
const CACHE_LIMIT = 4;
const cache = new Map<string, Promise<BilinearModel | SparseAutoencoder>>();

function cached<T extends BilinearModel | SparseAutoencoder>(id: string, load: () => Promise<T>): Promise<T> {
  let pending = cache.get(id) as Promise<T> | undefined;
  if (!pending) {
    pending = load();
    cache.set(id, pending);
    pending.catch(() => cache.delete(id));
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  }
  return pending;
}

async function download(key: string, path: string): Promise<Uint8Array> {
  const response = await platformRequest(key, path);
  return new Uint8Array(await response.arrayBuffer());
}

/** The model's checkpoint as the core reads it: gate, residual or config.json from the file's own record. */
function modelFor(key: string, model: Model): Promise<BilinearModel> {
  return cached(model.id, async () =>
    importModel(
      parseSafetensors(await download(key, `/api/v1/models/${encodeURIComponent(model.id)}/checkpoint`)),
      declaredConfigOptions(model.config),
    ),
  );
}

export async function classifierFor(key: string, model: Model): Promise<ImageClassifierModel> {
  const imported = await modelFor(key, model);
  if (imported.layout !== 'image-classifier') {
    throw new Error(`model ${model.name} is a ${imported.layout}; explanations need an image classifier`);
  }
  return imported;
}

export async function languageModelFor(key: string, model: Model): Promise<LanguageModel> {
  const imported = await modelFor(key, model);
  if (imported.layout !== 'language-model') {
    throw new Error(`model ${model.name} is an ${imported.layout}, not a language model`);
  }
  return imported;
}

/** An attached SAE, read with the config.json it came with. */
export function saeFor(key: string, saeId: string): Promise<SparseAutoencoder> {
  return cached(saeId, async () => {
    const [row, bytes] = await Promise.all([
      platformWithKey(key).sae(saeId),
      download(key, `/api/v1/saes/${encodeURIComponent(saeId)}/checkpoint`),
    ]);
    return importSparseAutoencoder(parseSafetensors(bytes), { config: row.config });
  });
}
