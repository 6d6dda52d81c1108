// The text a language-model job reads, from the spec its request stored (contracts'
// LANGUAGE_MODEL_DATASET): the bundled story generator, generated in the job, or a corpus uploaded to
// the project (`corpus:<id>`), copied from the artifact store to a temporary file that the text
// package's readers take and close() removes. Every job that reads text (training, SAE training and
// evaluation, activations, tokenizer training) opens its corpus here, so a new kind of corpus is
// added in one place.

import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { languageModelCorpusId } from '@bilinear-lab/contracts';
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

/**
 * Throws the job's input error for a spec the platform does not take, or for an uploaded corpus that
 * is gone (deleted after the job was queued) or, when `projectId` is given, in another project.
 */
export async function openLanguageModelCorpus(
  context: JobContext,
  spec: string,
  options: { projectId?: string } = {},
): Promise<OpenCorpus> {
  if (spec.startsWith('text:')) {
    throw inputError(`dataset ${spec}: the platform reads no files of the worker's host; upload a corpus`);
  }
  const corpusId = languageModelCorpusId(spec);
  if (corpusId !== null) return openUploadedCorpus(context, spec, corpusId, options.projectId);
  let dataset: LanguageModelDataset;
  try {
    dataset = parseLanguageModelDataset(spec);
  } catch (error) {
    throw inputError(`dataset ${(error as Error).message}`);
  }
  return { dataset, spec, close: async () => {} };
}

async function openUploadedCorpus(
  context: JobContext,
  spec: string,
  corpusId: string,
  projectId: string | undefined,
): Promise<OpenCorpus> {
  const corpus = await context.db.corpus.findUnique({ where: { id: corpusId } });
  if (corpus === null || (projectId !== undefined && corpus.projectId !== projectId)) {
    throw inputError(
      `dataset ${spec}: no corpus ${corpusId}${projectId === undefined ? '' : ` in project ${projectId}`} (deleted after the job was queued?)`,
    );
  }
  if ((await context.store.info(corpus.artifactId)) === null) {
    throw inputError(
      `dataset ${spec}: the file of corpus ${corpusId} (${corpus.fileName}) is missing from the store`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'bilinear-corpus-'));
  const close = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, corpus.gzip ? 'corpus.gz' : 'corpus');
  try {
    await pipeline(Readable.from(context.store.stream(corpus.artifactId)), createWriteStream(path));
  } catch (error) {
    await close();
    throw error;
  }
  const format = corpus.format === 'jsonl' ? 'jsonl' : 'text';
  return {
    dataset: {
      kind: 'text',
      path,
      read: {
        format,
        gzip: corpus.gzip,
        ...(corpus.field === null ? {} : { field: corpus.field }),
        // Messages name the upload, not the temporary file.
        name: `${corpus.fileName} (corpus ${corpus.id})`,
      },
    },
    spec,
    close,
  };
}
