// The one check every route that takes a language-model dataset makes (training, evaluation, SAE
// training, activations, tokenizer training): the spec read by the text package's rule, and a named
// corpus (`corpus:<id>`) present in the same project. A 400 names the field.
import { languageModelCorpusId } from '@bilinear-lab/contracts';
import type { Corpus } from '@bilinear-lab/db';
import {
  LanguageModelDatasetError,
  parseLanguageModelDataset,
} from '@bilinear-lab/text/language-model-dataset';
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';

/**
 * Throws a 400 naming `path` (e.g. "body.dataset") unless `spec` names a corpus jobs of this project
 * can read; returns the uploaded corpus it names, or null for the bundled stories.
 */
export async function checkLanguageModelDataset(
  app: FastifyInstance,
  projectId: string,
  spec: string,
  path = 'body.dataset',
): Promise<Corpus | null> {
  const corpusId = languageModelCorpusId(spec);
  if (corpusId !== null) {
    const corpus = await app.db.corpus.findFirst({ where: { id: corpusId, projectId } });
    if (corpus === null) {
      throw badRequest('invalid-request', `${path}: no corpus ${corpusId} in project ${projectId}`, {
        issues: [{ path, message: 'unknown corpus', code: 'unknown_corpus' }],
      });
    }
    return corpus;
  }
  try {
    parseLanguageModelDataset(spec);
  } catch (error) {
    if (!(error instanceof LanguageModelDatasetError)) throw error;
    throw badRequest('invalid-request', `${path}: ${error.message}`, {
      issues: [{ path, message: error.problem, code: 'invalid_dataset' }],
    });
  }
  return null;
}
