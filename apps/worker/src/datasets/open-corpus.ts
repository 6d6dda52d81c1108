// The text a language-model job reads, from the spec its request stored (contracts'
// LANGUAGE_MODEL_DATASET): the bundled story generator, generated in the job. Every job that reads
// text (training, SAE training and evaluation, activations) opens its corpus here, so a new kind of
// corpus is added in one place.
import { type LanguageModelDataset, parseLanguageModelDataset } from '@bilinear-lab/text';
import type { JobContext } from '../jobs/job-context.js';
import { inputError } from '../jobs/job-errors.js';

export interface OpenCorpus {
  /** What the text package's readers take (datasetDocuments, tokenizeDataset, trainDatasetTokenizer). */
  dataset: LanguageModelDataset;
  /** The spec as stored, for messages. */
  spec: string;
  /** Frees what opening took (a temporary file); safe to call twice. */
  close(): Promise<void>;
}

/** Throws the job's input error for a spec the platform does not take. */
export async function openLanguageModelCorpus(_context: JobContext, spec: string): Promise<OpenCorpus> {
  if (spec.startsWith('text:')) {
    throw inputError(`dataset ${spec}: the platform reads no files of the worker's host; upload a corpus`);
  }
  let dataset: LanguageModelDataset;
  try {
    dataset = parseLanguageModelDataset(spec);
  } catch (error) {
    throw inputError(`dataset ${(error as Error).message}`);
  }
  return { dataset, spec, close: async () => {} };
}
