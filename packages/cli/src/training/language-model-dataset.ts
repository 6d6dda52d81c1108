// What `--dataset` names for a language model (the text package's spec), told apart from the image
// datasets without loading TensorFlow.js or the tokenizer library (train.ts imports this on every run).
import {
  DEFAULT_VOCAB,
  isLanguageModelDataset,
  LANGUAGE_MODEL_DATASET_HELP,
  type LanguageModelDataset,
  LanguageModelDatasetError,
  parseLanguageModelDataset as parseDataset,
} from '@bilinear-lab/text/language-model-dataset';
import { CliInputError } from '../errors.js';

export { DEFAULT_VOCAB, isLanguageModelDataset, LANGUAGE_MODEL_DATASET_HELP, type LanguageModelDataset };

export function parseLanguageModelDataset(spec: string): LanguageModelDataset {
  try {
    return parseDataset(spec);
  } catch (error) {
    if (!(error instanceof LanguageModelDatasetError)) throw error;
    throw new CliInputError(`--dataset ${error.message}`, { cause: error });
  }
}

/** Flags only a language model takes, as commander names them, with their spelling. */
export const LANGUAGE_MODEL_FLAGS = {
  tokenizer: '--tokenizer',
  vocab: '--vocab',
  dModel: '--d-model',
  heads: '--heads',
  dHidden: '--d-hidden',
  ctx: '--ctx',
  steps: '--steps',
  warmup: '--warmup',
  evalEvery: '--eval-every',
} as const;

/** Flags only the image and toy models take, and what a language model takes instead. */
export const IMAGE_MODEL_FLAGS = {
  hidden: ['--hidden', 'a language model takes --d-model and --d-hidden'],
  residual: ['--residual', 'a language model is always a residual transformer'],
  inputNoise: ['--input-noise', 'a language model trains on token ids without noise'],
  latentNoise: ['--latent-noise', 'a language model trains without noise'],
  warmupSteps: ['--warmup-steps', 'a language model takes --warmup <steps>'],
} as const;
