// What `--dataset` names for a language model, told apart from the image datasets without loading
// TensorFlow.js (train.ts imports this on every run).
import { CliInputError } from '../errors.js';

/** The forms `--dataset` takes for language models. */
export const LANGUAGE_MODEL_DATASET_HELP =
  'text:<file> (documents separated by blank lines or <|endoftext|>, or .jsonl; .gz too) or stories[:<count>] (the bundled story generator, 20000 stories by default)';
export const DEFAULT_STORIES = 20_000;
/** The reference tokenizer's size (the paper's TinyStories models). */
export const DEFAULT_VOCAB = 4096;

export type LanguageModelDataset = { kind: 'text'; path: string } | { kind: 'stories'; count: number };

/** Whether --dataset names a corpus for a language model (rather than an image or toy dataset). */
export function isLanguageModelDataset(spec: string): boolean {
  return spec.startsWith('text:') || spec === 'stories' || spec.startsWith('stories:');
}

export function parseLanguageModelDataset(spec: string): LanguageModelDataset {
  if (spec.startsWith('text:')) {
    const path = spec.slice('text:'.length);
    if (path === '') throw new CliInputError(`--dataset ${spec}: name the corpus file, e.g. text:corpus.txt`);
    return { kind: 'text', path };
  }
  if (spec === 'stories') return { kind: 'stories', count: DEFAULT_STORIES };
  const count = spec.slice('stories:'.length);
  if (!/^\d+$/.test(count) || Number(count) < 1 || !Number.isSafeInteger(Number(count))) {
    throw new CliInputError(
      `--dataset ${spec}: stories:<count> takes a whole number of stories ≥ 1, e.g. stories:5000`,
    );
  }
  return { kind: 'stories', count: Number(count) };
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
