// The defaults the CLI's language-model commands and the platform's job schemas share
// (language-model-jobs.ts). Plain values, no schema: the CLI reads them as it starts, without
// loading zod (`@bilinear-lab/contracts/language-model-defaults`).

/** The CLI's and the platform's defaults (the reference's SAEConfig: lr 1e-4, out_batch 4096). */
export const SAE_TRAIN_DEFAULTS = {
  maxTokens: 1_000_000,
  batchSize: 4096,
  learningRate: 1e-4,
  seed: 0,
  evalTokens: 4096,
} as const;
/** Tokens a measurement reads by default: the float64 forward pass costs ~ layers · 12 d² per token. */
export const EVALUATION_MAX_TOKENS = 20_000;
export const GENERATE_DEFAULTS = { tokens: 50, temperature: 1, seed: 0 } as const;
