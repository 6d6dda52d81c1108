import { cache } from 'react';
import { env } from './env';
import { requireSessionKey } from './session';
import type {
  ApiKey,
  Dataset,
  Decomposition,
  DecompositionListItem,
  Job,
  Me,
  Member,
  Model,
  Project,
  TrainingMetric,
  Worker,
} from './types';

/** An error answer of the platform API ({"error": {code, message, details}}), or no answer at all. */
export class PlatformError extends Error {
  override readonly name = 'PlatformError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** A request to the platform API with the given key; throws PlatformError on a non-2xx answer. */
export async function platformRequest(key: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  let response: Response;
  try {
    response = await fetch(`${env().API_URL}${path}`, { ...init, headers, cache: 'no-store' });
  } catch (error) {
    throw new PlatformError(
      503,
      'unreachable',
      `The platform API at ${env().API_URL} does not answer (${(error as Error).message}).`,
    );
  }
  if (!response.ok) throw await errorFrom(response, path);
  return response;
}

export async function errorFrom(response: Response, path: string): Promise<PlatformError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.message) {
      return new PlatformError(
        response.status,
        body.error.code ?? 'error',
        body.error.message,
        body.error.details,
      );
    }
  } catch {
    // Not JSON: fall through to a generic message.
  }
  return new PlatformError(
    response.status,
    'error',
    `${path} answered ${response.status} ${text.slice(0, 200)}`,
  );
}

async function getJson<T>(path: string): Promise<T> {
  const key = await requireSessionKey();
  const response = await platformRequest(key, path);
  return (await response.json()) as T;
}

/** Sends JSON with the session's key and returns the JSON answer (or null for an empty one). */
export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const key = await requireSessionKey();
  const response = await platformRequest(key, path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** Lists come back either as a bare array or wrapped ({items: [...]}, {projects: [...]}, …). */
function listOf<T>(body: unknown): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object') {
    for (const value of Object.values(body)) if (Array.isArray(value)) return value as T[];
  }
  return [];
}

const v1 = '/api/v1';
const q = (value: string) => encodeURIComponent(value);

export const platform = {
  // Deduplicated per request: the layout and the page both ask.
  me: cache(() => getJson<Me>(`${v1}/me`)),
  projects: cache(async () => listOf<Project>(await getJson(`${v1}/projects`))),
  members: async (projectId: string) =>
    listOf<Member>(await getJson(`${v1}/projects/${q(projectId)}/members`)),
  keys: async (projectId: string) => listOf<ApiKey>(await getJson(`${v1}/projects/${q(projectId)}/keys`)),
  datasets: async (projectId: string) =>
    listOf<Dataset>(await getJson(`${v1}/projects/${q(projectId)}/datasets`)),
  models: async (projectId: string) => listOf<Model>(await getJson(`${v1}/projects/${q(projectId)}/models`)),
  model: (modelId: string) => getJson<Model>(`${v1}/models/${q(modelId)}`),
  metrics: async (modelId: string) =>
    listOf<TrainingMetric>(await getJson(`${v1}/models/${q(modelId)}/metrics`)),
  modelDecompositions: async (modelId: string) =>
    listOf<DecompositionListItem>(await getJson(`${v1}/models/${q(modelId)}/decompositions`)),
  projectDecompositions: async (projectId: string) =>
    listOf<DecompositionListItem>(await getJson(`${v1}/projects/${q(projectId)}/decompositions`)),
  decomposition: (id: string) => getJson<Decomposition>(`${v1}/decompositions/${q(id)}`),
  jobs: async (projectId: string, status?: string) =>
    listOf<Job>(await getJson(`${v1}/projects/${q(projectId)}/jobs${status ? `?status=${q(status)}` : ''}`)),
  job: (jobId: string) => getJson<Job>(`${v1}/jobs/${q(jobId)}`),
  workers: async () => listOf<Worker>(await getJson(`${v1}/workers`)),
};

/** Reads a project's role for the signed-in user (viewers see no buttons that would write). */
export async function projectWithRole(projectId: string): Promise<Project | null> {
  const projects = await platform.projects();
  return projects.find((project) => project.id === projectId) ?? null;
}
