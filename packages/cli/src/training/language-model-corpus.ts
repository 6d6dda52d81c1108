// The corpus and tokenizer a language model trains on: `--dataset text:<file>` (documents
// separated by blank lines, `<|endoftext|>`, or .jsonl; gzipped or not) or `stories[:<count>]` (the
// bundled story generator), encoded with `--tokenizer <tokenizer.json>` or a WordPiece tokenizer of
// `--vocab <n>` tokens trained on the corpus first.
import { stat } from 'node:fs/promises';
import {
  type Tokenizer,
  Tokenizer as TokenizerClass,
  TokenizerError,
  trainDatasetTokenizer,
} from '@bilinear-lab/text';
import { type CorpusTokens, TokenDataError, tokenizeDataset } from '@bilinear-lab/training';
import { CliInputError, inputAt } from '../errors.js';
import { note } from '../output.js';
import type { LanguageModelDataset } from './language-model-dataset.js';

export interface CorpusTokenizer {
  tokenizer: Tokenizer;
  /** The tokenizer.json text, written into the model folder. */
  json: string;
  /** Where it came from, for messages: a file, or "WordPiece, 4096 tokens, trained on the corpus". */
  source: string;
}

/** The tokenizer `--tokenizer` names, or one of `vocab` tokens trained on the corpus (the reference recipe). */
export async function corpusTokenizer(
  dataset: LanguageModelDataset,
  spec: string,
  request: { file: string } | { vocab: number } | { json: string; source: string },
): Promise<CorpusTokenizer> {
  if ('json' in request) {
    return {
      tokenizer: await loadTokenizer(request.json, request.source),
      json: request.json,
      source: request.source,
    };
  }
  if ('file' in request) {
    const { readFile } = await import('node:fs/promises');
    const json = await inputAt(`--tokenizer ${request.file}`, () => readFile(request.file, 'utf8'));
    return {
      tokenizer: await loadTokenizer(json, `--tokenizer ${request.file}`),
      json,
      source: request.file,
    };
  }
  note(`bilinear: training a WordPiece tokenizer of ${request.vocab} tokens on ${spec}`);
  const trained = await textInputAt(`--dataset ${spec}`, () => trainDatasetTokenizer(dataset, request.vocab));
  const tokenizer = await loadTokenizer(trained.json, 'the trained tokenizer');
  return {
    tokenizer,
    json: trained.json,
    source: `WordPiece, ${tokenizer.vocabSize} tokens, trained on ${spec}`,
  };
}

/** The corpus as training and held-out token streams, with progress notes on stderr. */
export async function corpusTokens(
  dataset: LanguageModelDataset,
  spec: string,
  tokenizer: Tokenizer,
  context: number,
): Promise<CorpusTokens> {
  if (dataset.kind === 'text') {
    const info = await inputAt(`--dataset ${spec}`, () => stat(dataset.path));
    if (!info.isFile()) throw new CliInputError(`--dataset ${spec}: ${dataset.path} is not a file`);
  }
  const corpus = await textInputAt(`--dataset ${spec}`, () => tokenizeDataset(dataset, tokenizer, context));
  const heldOut =
    corpus.heldOut === 'documents'
      ? `${corpus.documents.validation} of ${corpus.documents.train + corpus.documents.validation} documents`
      : `the last ${corpus.validation.length} tokens (too few documents to hold out whole ones)`;
  note(
    `bilinear: ${spec}: ${corpus.train.length + corpus.validation.length} tokens; ${corpus.validation.length} held out (${heldOut})`,
  );
  return corpus;
}

async function loadTokenizer(json: string, where: string): Promise<Tokenizer> {
  return textInputAt(where, () => TokenizerClass.fromJson(json, where));
}

/** Errors about the corpus or the tokenizer (a missing file, malformed jsonl, a bad tokenizer.json) exit 2. */
async function textInputAt<T>(where: string, work: () => T | Promise<T>): Promise<T> {
  return inputAt(where, async () => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof TokenizerError || error instanceof TokenDataError || isCorpusError(error)) {
        const message = (error as Error).message;
        throw new CliInputError(message.startsWith(where) ? message : `${where}: ${message}`, {
          cause: error,
        });
      }
      throw error;
    }
  });
}

function isCorpusError(error: unknown): boolean {
  return error instanceof Error && error.name === 'CorpusError';
}
