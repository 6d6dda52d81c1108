import { availableParallelism } from 'node:os';
import { type BackendChoice, type BackendRequest, selectBackend } from '@bilinear-lab/training';
import { note } from '../output.js';
import { trainingInputAt } from './input-errors.js';

/** What backend selection reads from the environment (CliEnv's BILINEAR_DEBUG and BILINEAR_WEBGPU). */
export interface BackendSettings {
  debug?: boolean;
  /** Let `auto` try webgpu (BILINEAR_WEBGPU=1). */
  webgpu?: boolean;
}

/**
 * Activates the requested backend (or the fastest that loads) and says on stderr which; why the faster
 * ones were passed over only with BILINEAR_DEBUG=1, as it is the same long story on every run.
 */
export async function activateBackend(
  request: BackendRequest,
  settings: BackendSettings = {},
): Promise<BackendChoice> {
  const choice = await trainingInputAt(`--backend ${request}`, () =>
    selectBackend(request, { webgpu: settings.webgpu === true }),
  );
  note(`bilinear: ${settings.debug ? choice.summary : choice.brief}`);
  return choice;
}

/**
 * The gradient threads a run uses unless --threads says otherwise: the trainer's own default (one per
 * core, at most 4, on wasm and cpu; 1 on native TensorFlow and webgpu, which parallelise each op
 * themselves), made explicit here so that it can be reported and stored with the run.
 */
export function defaultThreads(choice: BackendChoice): number {
  return choice.name.startsWith('tensorflow') || choice.name === 'webgpu'
    ? 1
    : Math.min(availableParallelism(), 4);
}
