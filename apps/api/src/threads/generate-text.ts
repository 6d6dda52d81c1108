// The text-generation thread (services/text-generation.ts): continues token ids with core's
// sampleTokens, off the API's event loop. It keeps the few language models it was last sent, by
// checkpoint artifact id, so that a model's bytes cross to it once, not per request.
import { parentPort } from 'node:worker_threads';
import {
  declaredConfigOptions,
  importModel,
  type LanguageModel,
  parseSafetensors,
  type SamplingOptions,
  sampleTokens,
} from '@bilinear-lab/core';

export interface GenerateTask {
  id: number;
  artifactId: string;
  /** The checkpoint, sent when the thread does not hold the model (the service keeps track). */
  checkpoint?: { bytes: Uint8Array<ArrayBuffer>; modelConfig: unknown };
  prompt: number[];
  sampling: SamplingOptions;
}

export type GenerateReply =
  | { id: number; ok: true; ids: number[] }
  | { id: number; ok: false; name: string; message: string };

/** Models the thread keeps, least recently used first (the service mirrors this order). */
export const MODELS_KEPT = 2;
const models = new Map<string, LanguageModel>();

function modelFor(task: GenerateTask): LanguageModel {
  let model = models.get(task.artifactId);
  if (model === undefined) {
    if (task.checkpoint === undefined) throw new Error(`model ${task.artifactId} was not sent`);
    const imported = importModel(
      parseSafetensors(task.checkpoint.bytes),
      declaredConfigOptions(task.checkpoint.modelConfig),
    );
    if (imported.layout !== 'language-model') throw new Error('not a language model');
    model = imported;
  } else models.delete(task.artifactId);
  models.set(task.artifactId, model);
  while (models.size > MODELS_KEPT) models.delete(models.keys().next().value as string);
  return model;
}

parentPort?.on('message', (task: GenerateTask) => {
  let reply: GenerateReply;
  try {
    reply = { id: task.id, ok: true, ids: sampleTokens(modelFor(task), task.prompt, task.sampling) };
  } catch (error) {
    const { name, message } = error as Error;
    reply = { id: task.id, ok: false, name, message };
  }
  parentPort?.postMessage(reply);
});
