import {
  ActivationsAcceptedSchema,
  ActivationsPageSchema,
  type ActivationsRequestSchema,
  ActivationsRunSchema,
  AddedMemberSchema,
  type AddMemberSchema,
  ApiKeySchema,
  CorpusSchema,
  CreatedApiKeySchema,
  CreatedProjectSchema,
  type CreateKeySchema,
  type CreateProjectSchema,
  DatasetSchema,
  DecompositionAcceptedSchema,
  type DecompositionRequestSchema,
  DecompositionSchema,
  DecompositionSummarySchema,
  EigenvectorsSchema,
  JobSchema,
  type JobStatus,
  type LanguageModelTrainRequestSchema,
  MemberSchema,
  MeSchema,
  ModelSchema,
  ProjectSchema,
  SparseAutoencoderSchema,
  TokenizerSchema,
  type TokenizerTrainRequestSchema,
  TrainAcceptedSchema,
  TrainingMetricSchema,
  type TrainRequestSchema,
  WorkerSchema,
} from '@bilinear-lab/contracts';
import { cache } from 'react';
import { z } from 'zod';
import { env } from './env';
import { requireSessionKey } from './session';

// The one client of the platform API, on the dashboard's server (server components, server actions,
// route handlers). Every method answers with the type the contracts declare for its route, checked
// against the route's schema here, so a change of the API shows up as one clear error instead of
// undefined fields further down. Browser code imports only the types (`./types`).

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

/** The answer's JSON as its route's schema declares it, or a 502 saying where it differs. */
async function answerOf<S extends z.ZodType>(
  response: Response,
  path: string,
  schema: S,
): Promise<z.output<S>> {
  const checked = schema.safeParse(await response.json());
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0];
  throw new PlatformError(
    502,
    'unexpected-answer',
    `${path}: the API's answer does not match its contract (${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'}).`,
    checked.error.issues,
  );
}

const v1 = '/api/v1';
const q = (value: string) => encodeURIComponent(value);

// The API's lists are bare JSON arrays of the resource.
const Projects = z.array(ProjectSchema);
const Members = z.array(MemberSchema);
const ApiKeys = z.array(ApiKeySchema);
const Datasets = z.array(DatasetSchema);
const Models = z.array(ModelSchema);
const TrainingMetrics = z.array(TrainingMetricSchema);
const DecompositionSummaries = z.array(DecompositionSummarySchema);
const Jobs = z.array(JobSchema);
const Workers = z.array(WorkerSchema);
const Corpora = z.array(CorpusSchema);
const Tokenizers = z.array(TokenizerSchema);
const TokenizerTrainAccepted = z.object({ tokenizerId: z.uuid(), jobId: z.uuid() });
const Saes = z.array(SparseAutoencoderSchema);
const ActivationsRuns = z.array(ActivationsRunSchema);
const Tokenized = z.object({ ids: z.array(z.number().int()), tokens: z.array(z.string()) });
const TokenTexts = z.object({ ids: z.array(z.number().int()), tokens: z.array(z.string().nullable()) });

/** Every route the dashboard calls, with the key `key()` gives. */
function clientWith(key: () => Promise<string>) {
  async function get<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
    return answerOf(await platformRequest(await key(), path), path, schema);
  }
  async function send(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<Response> {
    return platformRequest(await key(), path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  async function post<S extends z.ZodType>(path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    return answerOf(await send('POST', path, body), path, schema);
  }
  /** A 204. */
  async function remove(path: string): Promise<void> {
    await send('DELETE', path);
  }

  return {
    me: () => get(`${v1}/me`, MeSchema),
    projects: () => get(`${v1}/projects`, Projects),
    members: (projectId: string) => get(`${v1}/projects/${q(projectId)}/members`, Members),
    keys: (projectId: string) => get(`${v1}/projects/${q(projectId)}/keys`, ApiKeys),
    datasets: (projectId: string) => get(`${v1}/projects/${q(projectId)}/datasets`, Datasets),
    /** The built-in story generator first, then the uploads. */
    corpora: (projectId: string) => get(`${v1}/projects/${q(projectId)}/corpora`, Corpora),
    deleteCorpus: (corpusId: string) => remove(`${v1}/corpora/${q(corpusId)}`),
    tokenizers: (projectId: string) => get(`${v1}/projects/${q(projectId)}/tokenizers`, Tokenizers),
    trainTokenizer: (projectId: string, body: z.input<typeof TokenizerTrainRequestSchema>) =>
      post(`${v1}/projects/${q(projectId)}/tokenizers/train`, TokenizerTrainAccepted, body),
    trainLanguageModel: (projectId: string, body: z.input<typeof LanguageModelTrainRequestSchema>) =>
      post(`${v1}/projects/${q(projectId)}/models/train-language-model`, TrainAcceptedSchema, body),
    models: (projectId: string) => get(`${v1}/projects/${q(projectId)}/models`, Models),
    model: (modelId: string) => get(`${v1}/models/${q(modelId)}`, ModelSchema),
    metrics: (modelId: string) => get(`${v1}/models/${q(modelId)}/metrics`, TrainingMetrics),
    modelDecompositions: (modelId: string) =>
      get(`${v1}/models/${q(modelId)}/decompositions`, DecompositionSummaries),
    projectDecompositions: (projectId: string) =>
      get(`${v1}/projects/${q(projectId)}/decompositions`, DecompositionSummaries),
    decomposition: (id: string) => get(`${v1}/decompositions/${q(id)}`, DecompositionSchema),
    /** Outputs offset … offset + limit − 1 of a large decomposition, in index order. */
    decompositionPage: (id: string, offset: number, limit: number) =>
      get(`${v1}/decompositions/${q(id)}?offset=${offset}&limit=${limit}`, DecompositionSchema),
    /** Just these outputs of a decomposition (at most 64). */
    decompositionOutputs: (id: string, outputs: readonly number[]) =>
      get(`${v1}/decompositions/${q(id)}?outputs=${outputs.join(',')}`, DecompositionSchema),
    /** One output's top-k eigenvectors as JSON (with a language model's readings). */
    eigenvectors: (id: string, output: number, space: 'input' | 'model') =>
      get(`${v1}/decompositions/${q(id)}/outputs/${output}/eigenvectors?space=${space}`, EigenvectorsSchema),
    sae: (saeId: string) => get(`${v1}/saes/${q(saeId)}`, SparseAutoencoderSchema),
    /** The SAEs attached to a language model. */
    saes: (modelId: string) => get(`${v1}/models/${q(modelId)}/saes`, Saes),
    /** A text as a language model's tokenizer encodes it (with its special tokens, as in training, when asked). */
    tokenize: (modelId: string, text: string, special = false) =>
      get(`${v1}/models/${q(modelId)}/tokenize?text=${q(text)}${special ? '&special=true' : ''}`, Tokenized),
    /** Token ids as the model's tokenizer writes them (null for an id it does not know; at most 512). */
    tokenTexts: (modelId: string, ids: readonly number[]) =>
      get(`${v1}/models/${q(modelId)}/tokens?ids=${ids.join(',')}`, TokenTexts),
    /** A decomposition's activations runs, newest first. */
    activationsRuns: (decompositionId: string) =>
      get(`${v1}/decompositions/${q(decompositionId)}/activations`, ActivationsRuns),
    /** One activations run with these outputs' contexts, histograms and correlation curves. */
    activations: (decompositionId: string, activationsId: string, outputs: readonly number[]) =>
      get(
        `${v1}/decompositions/${q(decompositionId)}/activations/${q(activationsId)}?outputs=${outputs.join(',')}`,
        ActivationsPageSchema,
      ),
    jobs: (projectId: string, status?: JobStatus) =>
      get(`${v1}/projects/${q(projectId)}/jobs${status ? `?status=${q(status)}` : ''}`, Jobs),
    job: (jobId: string) => get(`${v1}/jobs/${q(jobId)}`, JobSchema),
    workers: () => get(`${v1}/workers`, Workers),

    createProject: (body: z.input<typeof CreateProjectSchema>) =>
      post(`${v1}/projects`, CreatedProjectSchema, body),
    addMember: (projectId: string, body: z.input<typeof AddMemberSchema>) =>
      post(`${v1}/projects/${q(projectId)}/members`, AddedMemberSchema, body),
    removeMember: (projectId: string, userId: string) =>
      remove(`${v1}/projects/${q(projectId)}/members/${q(userId)}`),
    createKey: (projectId: string, body: z.input<typeof CreateKeySchema>) =>
      post(`${v1}/projects/${q(projectId)}/keys`, CreatedApiKeySchema, body),
    revokeKey: (projectId: string, keyId: string) =>
      remove(`${v1}/projects/${q(projectId)}/keys/${q(keyId)}`),
    train: (projectId: string, body: z.input<typeof TrainRequestSchema>) =>
      post(`${v1}/projects/${q(projectId)}/models/train`, TrainAcceptedSchema, body),
    decompose: (modelId: string, body: z.input<typeof DecompositionRequestSchema>) =>
      post(`${v1}/models/${q(modelId)}/decompositions`, DecompositionAcceptedSchema, body),
    startActivations: (decompositionId: string, body: z.input<typeof ActivationsRequestSchema>) =>
      post(`${v1}/decompositions/${q(decompositionId)}/activations`, ActivationsAcceptedSchema, body),
    cancelJob: (jobId: string) => post(`${v1}/jobs/${q(jobId)}/cancel`, JobSchema),
    retryJob: (jobId: string) => post(`${v1}/jobs/${q(jobId)}/retry`, JobSchema),
  };
}

export type PlatformClient = ReturnType<typeof clientWith>;

/** The client with a given key (route handlers that answer 401 themselves instead of redirecting). */
export function platformWithKey(key: string): PlatformClient {
  return clientWith(async () => key);
}

const sessionClient = clientWith(requireSessionKey);

/** The client with the session's key; without a session, a redirect to the sign-in page. */
export const platform: PlatformClient = {
  ...sessionClient,
  // Deduplicated per request: the layout and the page both ask.
  me: cache(sessionClient.me),
  projects: cache(sessionClient.projects),
};

/** Reads a project's role for the signed-in user (viewers see no buttons that would write). */
export async function projectWithRole(projectId: string) {
  const projects = await platform.projects();
  return projects.find((project) => project.id === projectId) ?? null;
}
