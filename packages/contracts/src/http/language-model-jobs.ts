import { z } from 'zod';
import { EVALUATION_MAX_TOKENS, GENERATE_DEFAULTS, SAE_TRAIN_DEFAULTS } from './language-model-defaults.js';
import { HOOK_POINT_NAMES } from './resources.js';
import { nameText } from './text-fields.js';
import { LANGUAGE_MODEL_DATASET, LANGUAGE_MODEL_DATASET_MESSAGE } from './training.js';

// Language-model jobs beyond training: an SAE trained on a layer's hook point (`bilinear sae train`),
// an SAE or a model measured on a corpus (`bilinear sae eval`, `bilinear lm eval`), and text sampled
// from a model (`bilinear lm generate`), with the CLI's defaults (language-model-defaults.ts).

/** Tokens one synchronous generate request may add at most. */
export const GENERATE_MAX_TOKENS = 256;

const dataset = z
  .string()
  .regex(LANGUAGE_MODEL_DATASET, LANGUAGE_MODEL_DATASET_MESSAGE)
  .describe('the corpus: "stories", "stories:<count>" or "corpus:<id>" (a corpus uploaded to the project)');

export const SaeTrainRequestSchema = z
  .object({
    name: nameText(200).optional(),
    layer: z.number().int().min(0).max(10_000).describe("which layer's MLP"),
    point: z
      .enum(HOOK_POINT_NAMES)
      .describe(
        'mlp-in, mlp-out, or the residual stream before the layer, after its attention or after its MLP',
      ),
    features: z
      .number()
      .int()
      .min(1)
      .max(1 << 20)
      .optional()
      .describe('dictionary size'),
    expansion: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .optional()
      .describe('dictionary size as a multiple of d_model (the reference: 4)'),
    k: z.number().int().min(1).describe('active features per position (the reference uses 30)'),
    dataset: dataset.default('stories'),
    maxTokens: z
      .number()
      .int()
      .min(2)
      // The worker holds the token ids (beside the activation buffer): 10 M of them are tens of MB.
      .max(10_000_000)
      .default(SAE_TRAIN_DEFAULTS.maxTokens)
      .describe('read at most this many tokens of the corpus (at most 10 000 000)'),
    steps: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .optional()
      .describe('optimiser steps (default: one pass over the training text)'),
    tokensTotal: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('activations to train on instead of steps (steps = ⌈n / batchSize⌉)'),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(1 << 20)
      .default(SAE_TRAIN_DEFAULTS.batchSize),
    learningRate: z.number().positive().max(10).default(SAE_TRAIN_DEFAULTS.learningRate),
    seed: z.number().int().min(0).max(0xffffffff).default(SAE_TRAIN_DEFAULTS.seed),
    bufferRows: z
      .number()
      .int()
      .min(1)
      .max(1 << 24)
      .optional()
      .describe('activations held and shuffled at once (default 262 144, at most 256 MiB of float32)'),
    evalTokens: z
      .number()
      .int()
      .min(2)
      .default(SAE_TRAIN_DEFAULTS.evalTokens)
      .describe('positions at the end of the text held out of training to measure the SAE on'),
  })
  .strict()
  .superRefine((request, context) => {
    if ((request.features === undefined) === (request.expansion === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['features'],
        message: 'give the SAE its size: features or expansion (features = expansion · d_model), one of them',
      });
    }
    if (request.steps !== undefined && request.tokensTotal !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['tokensTotal'],
        message: 'give steps or tokensTotal (optimiser steps, or activations to train on), not both',
      });
    }
    if (request.bufferRows !== undefined && request.bufferRows < request.batchSize) {
      context.addIssue({
        code: 'custom',
        path: ['bufferRows'],
        message: `the buffer must hold at least one batch (batchSize ${request.batchSize})`,
      });
    }
    if (request.features !== undefined && request.k > request.features) {
      context.addIssue({
        code: 'custom',
        path: ['k'],
        message: `more than the SAE's ${request.features} features; k is how many of them are active`,
      });
    }
    if (request.evalTokens >= request.maxTokens) {
      context.addIssue({
        code: 'custom',
        path: ['evalTokens'],
        message: `not fewer than the ${request.maxTokens} tokens read (maxTokens): nothing would be left to train on`,
      });
    }
  });
export type SaeTrainRequest = z.infer<typeof SaeTrainRequestSchema>;
export type SaeTrainRequestInput = z.input<typeof SaeTrainRequestSchema>;

export const SaeTrainAcceptedSchema = z.object({
  saeId: z.uuid(),
  jobId: z.uuid(),
  status: z.literal('queued'),
});

/** A measurement on a corpus: an SAE's (POST /saes/{id}/evaluate) or a model's (POST /models/{id}/evaluate). */
export const EvaluateRequestSchema = z
  .object({
    dataset: dataset.default('stories'),
    maxTokens: z
      .number()
      .int()
      .min(2)
      .max(2_000_000)
      .default(EVALUATION_MAX_TOKENS)
      .describe('read at most this many tokens of the corpus'),
  })
  .strict();
export type EvaluateRequest = z.infer<typeof EvaluateRequestSchema>;

export const EvaluationAcceptedSchema = z.object({
  evaluationId: z.uuid(),
  jobId: z.uuid(),
  status: z.literal('queued'),
});

export const GenerateRequestSchema = z
  .object({
    prompt: z.string().min(1).max(4000).describe('the text to continue'),
    tokens: z
      .number()
      .int()
      .min(1)
      .max(GENERATE_MAX_TOKENS)
      .default(GENERATE_DEFAULTS.tokens)
      .describe('tokens to add'),
    temperature: z
      .number()
      .min(0)
      .max(100)
      .default(GENERATE_DEFAULTS.temperature)
      .describe('softmax temperature; 0 takes the most likely token'),
    topK: z.number().int().min(1).optional().describe('draw among the k most likely tokens only'),
    seed: z.number().int().min(0).max(0xffffffff).default(GENERATE_DEFAULTS.seed),
  })
  .strict();
export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;

export const GeneratedSchema = z.object({
  /** The tokens added after the prompt's. */
  ids: z.array(z.number().int()),
  /** The prompt and the added tokens, decoded by the model's tokenizer. */
  text: z.string(),
});
export type Generated = z.infer<typeof GeneratedSchema>;
