'use server';

import {
  DecompositionRequestSchema,
  ROLES,
  RoleSchema,
  type TrainingConfig,
  TrainingConfigSchema,
} from '@bilinear-lab/contracts';
import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { PlatformError, platform, platformWithKey } from '@/lib/platform';
import { endSession, startSession } from '@/lib/session';

// Every write the dashboard makes. Server actions run on the server with the session's key and are
// protected by Next against cross-site requests; each returns a message a user can act on.

export interface ActionState {
  error?: string;
  /** Field-level messages (the API's zod details, or our own checks). */
  fieldErrors?: Record<string, string>;
  /** Something to show once (a new API key). */
  secret?: string;
  ok?: boolean;
}

function failure(error: unknown): ActionState {
  if (error instanceof PlatformError) {
    return { error: error.message, fieldErrors: fieldErrorsFrom(error.details) };
  }
  // Redirects and not-found signals must propagate.
  throw error;
}

function fieldErrorsFrom(details: unknown): Record<string, string> | undefined {
  const issues = Array.isArray(details)
    ? details
    : details && typeof details === 'object' && Array.isArray((details as { issues?: unknown }).issues)
      ? (details as { issues: unknown[] }).issues
      : null;
  if (!issues) return undefined;
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    if (!issue || typeof issue !== 'object') continue;
    const { path, message } = issue as { path?: unknown; message?: unknown };
    const name = Array.isArray(path) ? String(path[path.length - 1] ?? '') : '';
    if (name && typeof message === 'string') fields[name] = message;
  }
  return fields;
}

export async function signIn(_previous: ActionState, form: FormData): Promise<ActionState> {
  const key = String(form.get('key') ?? '').trim();
  if (!key) return { error: 'Paste an API key to sign in.' };
  try {
    await platformWithKey(key).me();
  } catch (error) {
    if (error instanceof PlatformError && error.status === 401) {
      return { error: 'That API key is not valid (the API answered 401). Check it and try again.' };
    }
    return failure(error);
  }
  await startSession(key);
  redirect('/');
}

export async function signOut(): Promise<void> {
  await endSession();
  redirect('/sign-in');
}

export async function createProject(_previous: ActionState, form: FormData): Promise<ActionState> {
  const name = String(form.get('name') ?? '').trim();
  if (!name) return { error: 'Give the project a name.', fieldErrors: { name: 'Required' } };
  let id: string;
  try {
    ({ id } = await platform.createProject({ name }));
  } catch (error) {
    return failure(error);
  }
  revalidatePath('/', 'layout');
  redirect(`/projects/${id}/models`);
}

export async function addMember(
  projectId: string,
  _previous: ActionState,
  form: FormData,
): Promise<ActionState> {
  const user = String(form.get('user') ?? '').trim();
  const role = RoleSchema.safeParse(String(form.get('role') ?? 'member'));
  if (!user) return { error: 'Name the user to add.', fieldErrors: { user: 'Required' } };
  if (!role.success) {
    return { error: `Pick one of the roles ${ROLES.join(', ')}.`, fieldErrors: { role: 'Unknown role' } };
  }
  try {
    const added = await platform.addMember(projectId, { user, role: role.data });
    revalidatePath(`/projects/${projectId}/settings`);
    // A user created on the way gets their first key, shown once.
    return added.apiKey ? { ok: true, secret: added.apiKey } : { ok: true };
  } catch (error) {
    return failure(error);
  }
}

export async function removeMember(projectId: string, userId: string): Promise<ActionState> {
  try {
    await platform.removeMember(projectId, userId);
  } catch (error) {
    return failure(error);
  }
  revalidatePath(`/projects/${projectId}/settings`);
  return { ok: true };
}

export async function createKey(
  projectId: string,
  _previous: ActionState,
  form: FormData,
): Promise<ActionState> {
  const name = String(form.get('name') ?? '').trim();
  if (!name) return { error: 'Name the key (e.g. "laptop").', fieldErrors: { name: 'Required' } };
  try {
    const created = await platform.createKey(projectId, { name });
    revalidatePath(`/projects/${projectId}/settings`);
    return { ok: true, secret: created.key };
  } catch (error) {
    return failure(error);
  }
}

export async function revokeKey(projectId: string, keyId: string): Promise<ActionState> {
  try {
    await platform.revokeKey(projectId, keyId);
  } catch (error) {
    return failure(error);
  }
  revalidatePath(`/projects/${projectId}/settings`);
  return { ok: true };
}

const BOOLEAN_OPTIONS = new Set(['residual']);
const TEXT_OPTIONS = new Set(['gate']);

/** Reads the train form: every TrainingConfig option, empty fields at the contract's defaults. */
function trainingConfigFrom(form: FormData): {
  config: TrainingConfig | null;
  fieldErrors: Record<string, string>;
} {
  const config: Record<string, unknown> = {};
  const fieldErrors: Record<string, string> = {};
  for (const name of Object.keys(TrainingConfigSchema.shape)) {
    if (BOOLEAN_OPTIONS.has(name)) {
      config[name] = form.get(name) === 'on';
      continue;
    }
    const raw = String(form.get(name) ?? '').trim();
    if (raw === '') continue;
    if (TEXT_OPTIONS.has(name)) {
      config[name] = raw;
      continue;
    }
    const value = Number(raw);
    if (!Number.isFinite(value)) fieldErrors[name] = `"${raw}" is not a number`;
    else config[name] = value;
  }
  const checked = TrainingConfigSchema.safeParse(config);
  if (!checked.success) {
    for (const issue of checked.error.issues) fieldErrors[String(issue.path[0])] = issue.message;
  }
  return { config: checked.success ? checked.data : null, fieldErrors };
}

export async function trainModel(
  projectId: string,
  _previous: ActionState,
  form: FormData,
): Promise<ActionState> {
  const { config, fieldErrors } = trainingConfigFrom(form);
  if (config === null || Object.keys(fieldErrors).length > 0) {
    return { error: 'Some options are out of range.', fieldErrors };
  }
  const name = String(form.get('name') ?? '').trim();
  // No dataset field: the API's default (the contract's), not a second copy of it here.
  const dataset = String(form.get('dataset') ?? '') || undefined;
  let modelId: string;
  try {
    ({ modelId } = await platform.train(projectId, { dataset, config, ...(name ? { name } : {}) }));
  } catch (error) {
    return failure(error);
  }
  revalidatePath(`/projects/${projectId}/models`);
  redirect(`/projects/${projectId}/models/${modelId}`);
}

export async function decompose(
  projectId: string,
  modelId: string,
  _previous: ActionState,
  form: FormData,
): Promise<ActionState> {
  const truncation = String(form.get('truncationK') ?? '').trim();
  const request = {
    topK: Number(form.get('topK') ?? 16),
    truncationK: truncation
      ? truncation
          .split(/[\s,]+/)
          .filter(Boolean)
          .map(Number)
      : undefined,
    hosvd: form.get('hosvd') === 'on',
    adversarial: form.get('adversarial') === 'on',
  };
  return submitDecomposition(projectId, modelId, request);
}

/**
 * A language model's decomposition from the dashboard's form: token directions (ids or words, which
 * the model's tokenizer turns into ids; or every token), optionally against comparison tokens, or an
 * output SAE's features (ids or all), optionally over an input SAE's features.
 */
export async function decomposeLanguageModel(
  projectId: string,
  modelId: string,
  _previous: ActionState,
  form: FormData,
): Promise<ActionState> {
  const field = (name: string) => String(form.get(name) ?? '').trim();
  const directions = field('directions');
  const request: Record<string, unknown> = {
    topK: Number(field('topK') || 8),
    layer: Number(field('layer') || 0),
  };
  try {
    if (directions === 'all-tokens') request.allTokens = true;
    else if (directions === 'tokens') {
      request.outputs = await tokenIds(modelId, field('tokens'));
      const comparison = await tokenIds(modelId, field('comparison'));
      if (comparison.length > 0) request.comparison = comparison;
    } else {
      request.saeOut = field('saeOut');
      if (directions === 'all-features') request.allFeatures = true;
      else request.features = idList(field('features'));
    }
    if (field('saeIn') !== '') request.saeIn = field('saeIn');
  } catch (error) {
    if (error instanceof RangeError) return { error: error.message };
    return failure(error);
  }
  return submitDecomposition(projectId, modelId, request);
}

/** A decomposition request checked against the contract, sent, and its page opened. */
async function submitDecomposition(
  projectId: string,
  modelId: string,
  request: unknown,
): Promise<ActionState> {
  const checked = DecompositionRequestSchema.safeParse(request);
  if (!checked.success) {
    const fieldErrors: Record<string, string> = {};
    for (const issue of checked.error.issues) fieldErrors[String(issue.path[0])] = issue.message;
    return { error: 'Some options are out of range.', fieldErrors };
  }
  let decompositionId: string;
  try {
    ({ decompositionId } = await platform.decompose(modelId, checked.data));
  } catch (error) {
    return failure(error);
  }
  redirect(`/projects/${projectId}/decompositions/${decompositionId}`);
}

/** Comma-separated whole numbers; RangeError naming the first that is not one. */
function idList(text: string): number[] {
  const items = text.split(/[\s,]+/).filter(Boolean);
  const bad = items.find((item) => !/^\d{1,9}$/.test(item));
  if (bad !== undefined) throw new RangeError(`“${bad}” is not an id (whole numbers, comma-separated)`);
  return items.map(Number);
}

/** Token ids from a list of ids and words: each word is what the model's tokenizer makes of it. */
async function tokenIds(modelId: string, text: string): Promise<number[]> {
  const ids: number[] = [];
  for (const item of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    if (/^\d{1,9}$/.test(item)) ids.push(Number(item));
    else ids.push(...(await platform.tokenize(modelId, item)).ids);
  }
  return ids;
}

export async function cancelJob(jobId: string): Promise<ActionState> {
  try {
    await platform.cancelJob(jobId);
  } catch (error) {
    return failure(error);
  }
  revalidatePath('/', 'layout');
  return { ok: true };
}

export async function retryJob(jobId: string): Promise<ActionState> {
  try {
    await platform.retryJob(jobId);
  } catch (error) {
    return failure(error);
  }
  revalidatePath('/', 'layout');
  return { ok: true };
}

export async function deleteCorpus(projectId: string, corpusId: string): Promise<ActionState> {
  try {
    await platform.deleteCorpus(corpusId);
  } catch (error) {
    return failure(error);
  }
  revalidatePath(`/projects/${projectId}/corpora`);
  return { ok: true };
}

export async function trainTokenizer(
  projectId: string,
  _previous: ActionState,
  form: FormData,
): Promise<ActionState> {
  const name = String(form.get('name') ?? '').trim();
  try {
    await platform.trainTokenizer(projectId, {
      dataset: String(form.get('dataset') ?? 'stories'),
      vocab: Number(form.get('vocab')),
      ...(name ? { name } : {}),
    });
  } catch (error) {
    return failure(error);
  }
  revalidatePath(`/projects/${projectId}/corpora`);
  return { ok: true };
}

/** A language model on a corpus of the project: the shape and schedule as numbers, the tokenizer as a choice. */
export async function trainLanguageModel(
  projectId: string,
  _previous: ActionState,
  form: FormData,
): Promise<ActionState> {
  const integer = (field: string) => Number(String(form.get(field) ?? '').trim() || Number.NaN);
  const fields = ['layers', 'dModel', 'heads', 'dHidden', 'ctx', 'batchSize', 'steps'] as const;
  const fieldErrors: Record<string, string> = {};
  const config: Record<string, number | string> = {};
  for (const field of fields) {
    const value = integer(field);
    if (!Number.isInteger(value) || value < 1) fieldErrors[field] = 'a whole number ≥ 1';
    else config[field] = value;
  }
  // "vocab:<n>" trains a tokenizer on the corpus; otherwise the id of a tokenizer of the project.
  const tokenizer = String(form.get('tokenizer') ?? 'vocab:4096');
  if (tokenizer.startsWith('vocab:')) config.vocab = Number(tokenizer.slice('vocab:'.length));
  else config.tokenizerId = tokenizer;
  if (Object.keys(fieldErrors).length > 0)
    return { error: 'Some settings are not whole numbers.', fieldErrors };
  const name = String(form.get('name') ?? '').trim();
  let modelId: string;
  try {
    ({ modelId } = await platform.trainLanguageModel(projectId, {
      dataset: String(form.get('dataset') ?? 'stories'),
      config: config as unknown as Parameters<typeof platform.trainLanguageModel>[1]['config'],
      ...(name ? { name } : {}),
    }));
  } catch (error) {
    return failure(error);
  }
  revalidatePath(`/projects/${projectId}/models`);
  redirect(`/projects/${projectId}/models/${modelId}`);
}

/** An activations job for a completed language-model decomposition (its contexts over a corpus). */
export async function startActivations(
  decompositionId: string,
  _previous: ActionState,
  form: FormData,
): Promise<ActionState> {
  const field = (name: string) => String(form.get(name) ?? '').trim();
  const number = (name: string) => (field(name) === '' ? undefined : Number(field(name)));
  try {
    await platform.startActivations(decompositionId, {
      ...(field('dataset') ? { dataset: field('dataset') } : {}),
      maxTokens: number('maxTokens'),
      top: number('top'),
      eigenvectors: number('eigenvectors'),
    });
  } catch (error) {
    return failure(error);
  }
  revalidatePath('/', 'layout');
  return { ok: true };
}
