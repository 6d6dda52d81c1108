import { z } from 'zod';
import { JobStatusSchema } from '../status.js';
import { decimalInteger } from './text-fields.js';

export const DecompositionRequestSchema = z
  .object({
    /** Eigenvectors kept per output and sign (top-k positive and top-k negative). */
    topK: z.number().int().min(1).max(256).default(16),
    /** Truncation curve: accuracy when each output keeps only its k largest-|λ| eigenpairs, for each k. */
    truncationK: z.array(z.number().int().min(1).max(100_000)).max(64).default([1, 2, 4, 8, 16, 32, 64]),
    /** Also compute the HOSVD of the interaction tensor (output directions and their components). */
    hosvd: z.boolean().default(false),
    /** Also build adversarial masks from the top positive eigenvectors and measure how often they flip predictions. */
    adversarial: z.boolean().default(false),
    /**
     * Which outputs to decompose: class indices (all when absent), or a language model's token ids
     * (each token's unembedding row W_U[t] as the output direction).
     */
    outputs: z.array(z.number().int().min(0)).min(1).max(100_000).optional(),
    /** Language models: the layer whose MLP is decomposed (default 0). */
    layer: z.number().int().min(0).max(10_000).optional(),
    /** Language models: every token of the vocabulary, instead of `outputs`. */
    allTokens: z.boolean().optional(),
    /**
     * Language models: compare each token of `outputs` with these — the direction W_U[t] − mean of
     * W_U[c] over them (the paper's "swim" against "run, climb, …").
     */
    comparison: z.array(z.number().int().min(0)).min(1).max(1024).optional(),
    /**
     * Language models: an SAE on the MLP's output (hook point mlp-out) whose features' encoder rows
     * w_enc[f] are the output directions — the features named in `features`, or `allFeatures`.
     */
    saeOut: z.uuid().optional(),
    features: z.array(z.number().int().min(0)).min(1).max(1_000_000).optional(),
    allFeatures: z.boolean().optional(),
    /**
     * Language models: an SAE on the MLP's input (mlp-in): each output is decomposed over its
     * features, DᵀQD, and eigenvectors read as features.
     */
    saeIn: z.uuid().optional(),
  })
  .strict();
export type DecompositionRequest = z.infer<typeof DecompositionRequestSchema>;

/**
 * Canonical form of a request: identical requests (whatever their key order) share one decomposition.
 * `adversarial` enters the key only when true, so the keys stored before it existed still match.
 */
export function decompositionKey(request: DecompositionRequest): string {
  const outputs = request.outputs ? [...new Set(request.outputs)].sort((a, b) => a - b) : null;
  const truncationK = [...new Set(request.truncationK)].sort((a, b) => a - b);
  const comparison = request.comparison ? [...new Set(request.comparison)].sort((a, b) => a - b) : null;
  return JSON.stringify({
    topK: request.topK,
    truncationK,
    hosvd: request.hosvd,
    outputs,
    ...(request.adversarial ? { adversarial: true } : {}),
    // Language-model fields enter only when given, so the classifiers' keys stay what they were.
    ...(request.layer !== undefined ? { layer: request.layer } : {}),
    ...(request.allTokens ? { allTokens: true } : {}),
    ...(comparison ? { comparison } : {}),
    ...(request.saeOut ? { saeOut: request.saeOut } : {}),
    ...(request.features ? { features: [...new Set(request.features)].sort((a, b) => a - b) } : {}),
    ...(request.allFeatures ? { allFeatures: true } : {}),
    ...(request.saeIn ? { saeIn: request.saeIn } : {}),
  });
}

/** Outputs a decomposition lists whole in GET /decompositions/{id}; past this it pages. */
export const DECOMPOSITION_PAGE = 64;

export const DecompositionQuerySchema = z
  .object({
    /** First output (in index order) of the page. */
    offset: decimalInteger().pipe(z.number().min(0)).optional(),
    /** Outputs per page (default 64, at most 512). */
    limit: decimalInteger().pipe(z.number().min(1).max(512)).optional(),
    /** Only these outputs (their indices, comma-separated, at most 64): a token's or a feature's page. */
    outputs: z
      .string()
      .regex(/^\d{1,9}(,\d{1,9}){0,63}$/, 'comma-separated output indices, at most 64')
      .transform((list) => [...new Set(list.split(',').map(Number))])
      .optional(),
  })
  .strict();
export type DecompositionQuery = z.infer<typeof DecompositionQuerySchema>;

export const ReadingEntrySchema = z.object({
  index: z.number().int(),
  value: z.number(),
  /** The token's text, when the model came with a tokenizer. */
  token: z.string().optional(),
});

/** A language model's eigenvector as people read it: its largest and smallest entries. */
export const ReadingSchema = z.object({
  space: z.enum(['tokens', 'features']).describe('tokens of W_E v, or the features of an input SAE (DᵀQD)'),
  top: z.array(ReadingEntrySchema).describe('largest entries, descending'),
  bottom: z.array(ReadingEntrySchema).describe('smallest entries, ascending'),
});
export type ReadingView = z.infer<typeof ReadingSchema>;

export const SpectrumSummarySchema = z.object({
  index: z.number().int(),
  label: z.string(),
  eigenvalues: z
    .array(z.number())
    .describe("Every eigenvalue of the output's interaction matrix, most positive first (descending)."),
  effectiveRank: z.number().describe('(Σ|λ|)² / Σλ²: how many eigenvectors the output effectively uses.'),
  exactness: z
    .number()
    .nullable()
    .describe(
      "Worst relative error of the output rebuilt from every eigenpair (Σ λ (vᵀx)² + aᵀx) against the model file's own forward pass on seeded inputs; about 1e-15 when exact.",
    ),
  linear_model: z
    .array(z.number())
    .nullable()
    .describe(
      "A residual block's linear term: the output is Σ λ (vᵀx)² + aᵀx with a this vector (length d, the decomposed layer's input space, like space=model eigenvectors); null for a pure quadratic form.",
    ),
});

/** Stored parameters as served: decompositions stored before `adversarial` existed lack it (read: false). */
export const StoredDecompositionParametersSchema = DecompositionRequestSchema.extend({
  adversarial: z.boolean().optional(),
});

export const DecompositionSchema = z.object({
  id: z.uuid(),
  modelId: z.uuid(),
  jobId: z.uuid().nullable(),
  status: JobStatusSchema,
  parameters: StoredDecompositionParametersSchema,
  error: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  outputs: z.array(SpectrumSummarySchema),
  /**
   * Present when the decomposition has more outputs than one response lists (64, or as asked with
   * ?offset&limit): which of them `outputs` holds, in index order.
   */
  page: z.object({ offset: z.number().int(), limit: z.number().int(), total: z.number().int() }).optional(),
  analyses: z.record(z.string(), z.unknown()),
});
export type DecompositionView = z.infer<typeof DecompositionSchema>;
export type SpectrumSummaryView = z.infer<typeof SpectrumSummarySchema>;

/** A decomposition in lists: everything but the spectra and analyses. */
export const DecompositionSummarySchema = DecompositionSchema.omit({
  outputs: true,
  page: true,
  analyses: true,
});
export type DecompositionSummaryView = z.infer<typeof DecompositionSummarySchema>;

export const EIGENVECTOR_FORMATS = ['json', 'f32', 'npy'] as const;
export const EigenvectorQuerySchema = z
  .object({
    space: z.enum(['input', 'model']).default('input'),
    /** Vectors per sign (at most the decomposition's topK). */
    k: decimalInteger().pipe(z.number().min(1).max(256)).optional(),
    sign: z.enum(['both', 'positive', 'negative']).default('both'),
    format: z.enum(EIGENVECTOR_FORMATS).default('json'),
  })
  .strict();
export type EigenvectorQuery = z.infer<typeof EigenvectorQuerySchema>;

export const EigenvectorsSchema = z.object({
  outputIndex: z.number().int(),
  space: z.enum(['input', 'model']),
  dimension: z.number().int(),
  /** Row order: positive eigenvalues descending, then negative ascending (most negative first). */
  eigenvalues: z.array(z.number()),
  /** Rows 0 … positiveCount − 1 are positive eigenvectors (p1, p2, …)… */
  positiveCount: z.number().int().min(0),
  /** …the remaining negativeCount rows negative ones (n1, n2, …). */
  negativeCount: z.number().int().min(0),
  vectors: z.array(z.array(z.number())),
  /** A residual block's linear term a in this space (aᵀx adds to Σ λ (vᵀx)²); null when there is none. */
  linearTerm: z.array(z.number()).nullable(),
  /** A language model's rows read as tokens or input features, one per row; absent for classifiers. */
  readings: z.array(ReadingSchema).optional(),
});
export type EigenvectorsView = z.infer<typeof EigenvectorsSchema>;
