import { z } from 'zod';
import { JobStatusSchema } from '../status.js';
import { decimalInteger } from './text-fields.js';
import { LANGUAGE_MODEL_DATASET } from './training.js';

// Activations jobs of a completed language-model decomposition (POST/GET
// /decompositions/{id}/activations): per output, over a corpus, the top-activating contexts of its
// direction and of its stored top eigenvectors, an activation histogram, and the low-rank
// correlation curve. Identical requests share one run, as decompositions do.

/** Corpus tokens read by default: the float64 forward pass costs ~ layers · 12 d² per token. */
export const ACTIVATIONS_DEFAULTS = {
  dataset: 'stories:200',
  maxTokens: 20_000,
  top: 20,
  eigenvectors: 4,
} as const;
/** At most this many tokens: the job holds the MLP's input and output there, 2 · 8 · d bytes each. */
export const ACTIVATIONS_MAX_TOKENS = 100_000;
/** Bins of every stored histogram (between the activation's smallest and largest value). */
export const ACTIVATION_HISTOGRAM_BINS = 32;
/** Tokens before and after the position a stored context holds. */
export const ACTIVATION_CONTEXT = { before: 12, after: 4 } as const;
/**
 * Contexts per direction and eigenvectors per sign at most: one output's contexts, (1 + 2 · 8) · 50
 * of 17 tokens, stay near 500 KB of JSON, so a page's first view (at least one output) is under 1 MB.
 */
export const ACTIVATIONS_TOP_MAX = 50;
export const ACTIVATIONS_EIGENVECTORS_MAX = 8;
/** Outputs a page of GET …/activations/{id} carries by default (fewer when each is large), and at most. */
export const ACTIVATIONS_PAGE = 4;
export const ACTIVATIONS_PAGE_MAX = 32;

export const ActivationsRequestSchema = z
  .object({
    dataset: z
      .string()
      .regex(
        LANGUAGE_MODEL_DATASET,
        'must name a corpus of the platform, e.g. "stories" or "stories:<count>"',
      )
      .default(ACTIVATIONS_DEFAULTS.dataset)
      .describe('the corpus (contracts’ LANGUAGE_MODEL_DATASET): "stories", "stories:<count>", …'),
    maxTokens: z
      .number()
      .int()
      .min(2)
      .max(ACTIVATIONS_MAX_TOKENS)
      .default(ACTIVATIONS_DEFAULTS.maxTokens)
      .describe('read at most this many tokens of the corpus, in windows of the model’s context'),
    top: z
      .number()
      .int()
      .min(1)
      .max(ACTIVATIONS_TOP_MAX)
      .default(ACTIVATIONS_DEFAULTS.top)
      .describe('contexts kept per direction'),
    eigenvectors: z
      .number()
      .int()
      .min(0)
      .max(ACTIVATIONS_EIGENVECTORS_MAX)
      .default(ACTIVATIONS_DEFAULTS.eigenvectors)
      .describe('stored top eigenvectors read per sign (at most the decomposition’s topK)'),
  })
  .strict();
export type ActivationsRequest = z.infer<typeof ActivationsRequestSchema>;

/** Canonical form of a request (defaults filled in): identical requests share one run. */
export function activationsKey(request: ActivationsRequest): string {
  return JSON.stringify({
    dataset: request.dataset,
    maxTokens: request.maxTokens,
    top: request.top,
    eigenvectors: request.eigenvectors,
  });
}

export const ActivationsAcceptedSchema = z.object({
  activationsId: z.uuid(),
  jobId: z.uuid(),
  status: JobStatusSchema,
  /** True when an identical earlier request answers this one. */
  deduplicated: z.boolean(),
});
export type ActivationsAcceptedView = z.infer<typeof ActivationsAcceptedSchema>;

export const ActivationsRunSchema = z.object({
  id: z.uuid(),
  decompositionId: z.uuid(),
  status: JobStatusSchema,
  jobId: z.uuid(),
  /** The job's progress, 0..1. */
  progress: z.number(),
  parameters: ActivationsRequestSchema.required(),
  /** Corpus positions read, once read. */
  positions: z.number().int().nullable(),
  /** Outputs stored so far, of `total`. */
  stored: z.number().int(),
  total: z.number().int(),
  error: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});
export type ActivationsRunView = z.infer<typeof ActivationsRunSchema>;

export const ActivationContextSchema = z.object({
  /** Window of the corpus and position in it. */
  sequence: z.number().int(),
  position: z.number().int(),
  value: z.number(),
  /** Index of the position within `tokens`. */
  focus: z.number().int(),
  tokens: z.array(z.number().int()),
  /** Each token's text through the model's tokenizer; absent when the model came without one. */
  text: z.array(z.string()).optional(),
  /** The activation at each token of the context. */
  values: z.array(z.number()),
});
export type ActivationContextView = z.infer<typeof ActivationContextSchema>;

export const ActivationSeriesSchema = z.object({
  /** The output's own direction (u·MLP(x), or an SAE feature's code), or one stored eigenvector's λ (vᵀx)². */
  kind: z.enum(['output', 'eigenvector']),
  /** Eigenvectors: the row of the stored block, its sign and rank within the sign, and λ. */
  row: z.number().int().optional(),
  sign: z.enum(['positive', 'negative']).optional(),
  rank: z.number().int().optional(),
  eigenvalue: z.number().optional(),
  /** Largest values (λ > 0 or the output), or most negative ones (λ < 0), first. */
  contexts: z.array(ActivationContextSchema),
});
export type ActivationSeriesView = z.infer<typeof ActivationSeriesSchema>;

export const ActivationHistogramSchema = z.object({
  min: z.number(),
  max: z.number(),
  /** Counts of the non-zero values in equal bins between min and max (of the non-zero values). */
  counts: z.array(z.number().int()),
  /** Positions whose value is exactly 0 (an SAE feature not among the k active). */
  zeros: z.number().int(),
});
export type ActivationHistogramView = z.infer<typeof ActivationHistogramSchema>;

export const LowRankCurveSchema = z.object({
  /** Eigenpairs kept, by |λ| among the stored ones. */
  k: z.array(z.number().int()),
  /** Pearson correlation of Σ_{i ≤ k} λ_i (v_iᵀ x)² with the activation over the active positions. */
  r: z.array(z.number().nullable()),
  /** Active positions (non-zero activation) the correlation is measured over. */
  active: z.number().int(),
});
export type LowRankCurveView = z.infer<typeof LowRankCurveSchema>;

export const ActivationsOutputSchema = z.object({
  index: z.number().int(),
  series: z.array(ActivationSeriesSchema),
  histogram: ActivationHistogramSchema,
  /** Null when too few positions are active (10 or fewer) or no eigenvectors are stored. */
  correlation: LowRankCurveSchema.nullable(),
});
export type ActivationsOutputView = z.infer<typeof ActivationsOutputSchema>;

export const ActivationsQuerySchema = z
  .object({
    offset: decimalInteger().pipe(z.number().min(0)).optional(),
    limit: decimalInteger().pipe(z.number().min(1).max(ACTIVATIONS_PAGE_MAX)).optional(),
    /** Only these outputs (comma-separated indices, at most 32). */
    outputs: z
      .string()
      .regex(/^\d{1,9}(,\d{1,9}){0,31}$/, 'comma-separated output indices, at most 32')
      .transform((list) => [...new Set(list.split(',').map(Number))])
      .optional(),
  })
  .strict();
export type ActivationsQuery = z.infer<typeof ActivationsQuerySchema>;

export const ActivationsPageSchema = z.object({
  run: ActivationsRunSchema,
  outputs: z.array(ActivationsOutputSchema),
  /** Present unless `outputs` named them: which of the stored outputs (in index order) this page holds. */
  page: z.object({ offset: z.number().int(), limit: z.number().int(), total: z.number().int() }).optional(),
});
export type ActivationsPageView = z.infer<typeof ActivationsPageSchema>;
