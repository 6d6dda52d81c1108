import { z } from 'zod';

// Every queue the platform has, declared once: the API validates a payload with `payload` before it
// enqueues, the worker validates it again on receipt. Payloads carry ids only: the worker reads the
// rest from Postgres, so a retried job always works from the stored request.

const retry = (attempts: number, delayMs: number) => ({
  attempts,
  backoff: { type: 'exponential' as const, delay: delayMs },
});

export const jobCatalog = {
  train: {
    description: 'Train a model on a dataset and store its checkpoint and metric series.',
    payload: z.object({ jobId: z.uuid(), projectId: z.uuid(), modelId: z.uuid() }).strict(),
    ...retry(3, 2_000),
  },
  decompose: {
    description: 'Decompose a stored model: spectra, top-k eigenvectors and analyses per output.',
    payload: z.object({ jobId: z.uuid(), projectId: z.uuid(), decompositionId: z.uuid() }).strict(),
    ...retry(3, 2_000),
  },
  'decompose-shard': {
    description:
      'Help a large language-model decomposition along: take its unfinished shards until none are left (the decompose job completes it).',
    payload: z.object({ jobId: z.uuid(), projectId: z.uuid(), decompositionId: z.uuid() }).strict(),
    ...retry(3, 2_000),
  },
  'train-sae': {
    description:
      "Train a TopK SAE on a language model's layer and hook point, measure it on held-out text, store it in the official layout.",
    payload: z.object({ jobId: z.uuid(), projectId: z.uuid(), saeId: z.uuid() }).strict(),
    ...retry(3, 2_000),
  },
  evaluate: {
    description:
      'Measure a language model (held-out loss) or one of its SAEs (MSE, loss recovered) on a corpus.',
    payload: z.object({ jobId: z.uuid(), projectId: z.uuid(), evaluationId: z.uuid() }).strict(),
    ...retry(3, 2_000),
  },
  activations: {
    description:
      "Read a completed language-model decomposition's outputs over a corpus: top-activating contexts, histograms, low-rank correlation.",
    payload: z.object({ jobId: z.uuid(), projectId: z.uuid(), activationsId: z.uuid() }).strict(),
    ...retry(3, 2_000),
  },
  'tokenizer-train': {
    description:
      'Train a WordPiece tokenizer on a corpus (as `bilinear tokenizer train` does) and keep it as a tokenizer of the project.',
    // The request's few settings ride in the payload: the Tokenizer row appears only when the job completes.
    payload: z
      .object({
        jobId: z.uuid(),
        projectId: z.uuid(),
        tokenizerId: z.uuid(),
        dataset: z.string().min(1).max(200),
        vocab: z.number().int().min(8).max(65_536),
        name: z.string().min(1).max(200),
      })
      .strict(),
    ...retry(3, 2_000),
  },
} as const;

/** Outputs per shard of a language model's decomposition (the unit a decompose-shard job claims). */
export const DECOMPOSITION_SHARD_OUTPUTS = 256;

export type QueueName = keyof typeof jobCatalog;
export const QUEUE_NAMES = Object.keys(jobCatalog) as QueueName[];
export type JobPayload<Q extends QueueName> = z.infer<(typeof jobCatalog)[Q]['payload']>;
