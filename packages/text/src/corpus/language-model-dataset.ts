// What a language model trains on, named in one string: `text:<file>` (a corpus file) or
// `stories[:<count>]` (the bundled story generator). The CLI's --dataset and the platform's
// training request read it the same way. Nothing here loads the tokenizer library.
import type { CorpusReadOptions } from './read-corpus.js';

/** The forms a language-model dataset spec takes. */
export const LANGUAGE_MODEL_DATASET_HELP =
  'text:<file> (documents separated by blank lines or <|endoftext|>, or .jsonl; .gz too) or stories[:<count>] (the bundled story generator, 20000 stories by default)';
export const DEFAULT_STORIES = 20_000;
/** The reference tokenizer's size (the paper's TinyStories models). */
export const DEFAULT_VOCAB = 4096;
/** About this share of the documents is held out for the validation loss. */
export const VALIDATION_SHARE = 0.05;

export type LanguageModelDataset = TextDataset | { kind: 'stories'; count: number };

export interface TextDataset {
  kind: 'text';
  path: string;
  /** How to read the file when its name does not say (an uploaded corpus's format, field, gzip). */
  read?: CorpusReadOptions;
}

/** A spec that cannot name a corpus; `problem` reads after the spec ("<spec>: <problem>"). */
export class LanguageModelDatasetError extends Error {
  override readonly name = 'LanguageModelDatasetError';
  constructor(
    readonly spec: string,
    readonly problem: string,
  ) {
    super(`${spec}: ${problem}`);
  }
}

/** Whether a spec names a corpus for a language model (rather than an image or toy dataset). */
export function isLanguageModelDataset(spec: string): boolean {
  return spec.startsWith('text:') || spec === 'stories' || spec.startsWith('stories:');
}

export function parseLanguageModelDataset(spec: string): LanguageModelDataset {
  if (spec.startsWith('text:')) {
    const path = spec.slice('text:'.length);
    if (path === '') throw new LanguageModelDatasetError(spec, 'name the corpus file, e.g. text:corpus.txt');
    return { kind: 'text', path };
  }
  if (spec === 'stories') return { kind: 'stories', count: DEFAULT_STORIES };
  const count = spec.startsWith('stories:') ? spec.slice('stories:'.length) : '';
  if (!/^\d+$/.test(count) || Number(count) < 1 || !Number.isSafeInteger(Number(count))) {
    throw new LanguageModelDatasetError(
      spec,
      spec.startsWith('stories')
        ? 'stories:<count> takes a whole number of stories ≥ 1, e.g. stories:5000'
        : `not a language-model corpus; use ${LANGUAGE_MODEL_DATASET_HELP}`,
    );
  }
  return { kind: 'stories', count: Number(count) };
}
