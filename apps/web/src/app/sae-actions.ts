'use server';

import { EvaluationAcceptedSchema, SaeTrainAcceptedSchema } from '@bilinear-lab/contracts';
import { revalidatePath } from 'next/cache';
import type { z } from 'zod';
import { PlatformError, platformRequest } from '@/lib/platform';
import { requireSessionKey } from '@/lib/session';
import type { ActionState } from './actions';

// The language-model page's job writes: train an SAE, measure an SAE or the model on a corpus. The
// API checks every field; its messages name them (body.<field>: …).

async function post<S extends z.ZodType>(path: string, schema: S, body: unknown): Promise<z.output<S>> {
  const response = await platformRequest(await requireSessionKey(), path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return schema.parse(await response.json());
}

function failure(error: unknown): ActionState {
  if (error instanceof PlatformError) return { error: error.message };
  throw error;
}

/** The form's filled fields as numbers or text; empty ones are left out (the API's defaults apply). */
function fields(form: FormData, numbers: readonly string[], texts: readonly string[]) {
  const body: Record<string, string | number> = {};
  for (const name of texts) {
    const value = String(form.get(name) ?? '').trim();
    if (value !== '') body[name] = value;
  }
  for (const name of numbers) {
    const value = String(form.get(name) ?? '').trim();
    if (value !== '') body[name] = Number(value);
  }
  return body;
}

export async function trainSae(
  modelId: string,
  _previous: ActionState,
  form: FormData,
): Promise<ActionState> {
  const body = fields(
    form,
    ['layer', 'expansion', 'k', 'maxTokens', 'steps', 'batchSize', 'learningRate', 'seed', 'evalTokens'],
    ['name', 'point', 'dataset'],
  );
  try {
    await post(`/api/v1/models/${encodeURIComponent(modelId)}/saes/train`, SaeTrainAcceptedSchema, body);
  } catch (error) {
    return failure(error);
  }
  revalidatePath('/', 'layout');
  return { ok: true };
}

/** Measures an SAE (saeId) or the model itself (saeId null) on the form's corpus. */
export async function evaluate(
  modelId: string,
  saeId: string | null,
  _previous: ActionState,
  form: FormData,
): Promise<ActionState> {
  const body = fields(form, ['maxTokens'], ['dataset']);
  const path =
    saeId === null
      ? `/api/v1/models/${encodeURIComponent(modelId)}/evaluate`
      : `/api/v1/saes/${encodeURIComponent(saeId)}/evaluate`;
  try {
    await post(path, EvaluationAcceptedSchema, body);
  } catch (error) {
    return failure(error);
  }
  revalidatePath('/', 'layout');
  return { ok: true };
}
