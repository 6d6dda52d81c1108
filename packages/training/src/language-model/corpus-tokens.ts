// A corpus's documents as the token streams the trainer draws windows from.
import {
  datasetDocuments,
  type LanguageModelDataset,
  splitOf,
  type Tokenizer,
  VALIDATION_SHARE,
} from '@bilinear-lab/text';
import { concatenate, holdOutTail, TokenDataError, type TokenSplits } from './token-windows.js';

export interface CorpusTokens extends TokenSplits {
  /** Documents on each side (0 held out when the split fell back to the stream's tail). */
  documents: { train: number; validation: number };
  /** 'documents': whole documents held out by their text's hash; 'tail': the stream's last tokens. */
  heldOut: 'documents' | 'tail';
}

export interface TokenizeCorpusOptions {
  /** About this share of the documents is held out for the validation loss. */
  validationShare: number;
  /** Each side needs at least this many tokens (one window). */
  minTokens: number;
  /** Called after each batch of documents is encoded. */
  onProgress?: (documents: number, tokens: number) => void;
}

const ENCODE_BATCH = 512;

/**
 * Encodes each document with the tokenizer's post-processor (the recipe's `[BOS] $A`), and
 * concatenates them into a training and a held-out stream, windows spanning documents as in the
 * reference. A document is held out by its own text (the text package's splitOf: independent of order
 * and corpus size, and identical documents stay together); when too few documents make either side
 * one window long, the last `validationShare` of the whole stream is held out instead.
 */
export async function tokenizeCorpus(
  documents: AsyncIterable<string> | Iterable<string>,
  tokenizer: Tokenizer,
  options: TokenizeCorpusOptions,
): Promise<CorpusTokens> {
  const sides = { train: [] as Int32Array[], validation: [] as Int32Array[] };
  const all: Int32Array[] = [];
  let pending: string[] = [];
  let count = 0;
  let tokens = 0;
  const flush = async () => {
    const encodings = await tokenizer.encodeBatch(pending);
    encodings.forEach((encoding, i) => {
      sides[splitOf(pending[i] as string, options.validationShare)].push(encoding.ids);
      all.push(encoding.ids);
      tokens += encoding.ids.length;
    });
    count += pending.length;
    pending = [];
    options.onProgress?.(count, tokens);
  };
  for await (const document of documents) {
    pending.push(document);
    if (pending.length === ENCODE_BATCH) await flush();
  }
  if (pending.length > 0) await flush();
  if (count === 0) throw new TokenDataError('the corpus holds no documents');
  const train = concatenate(sides.train);
  const validation = concatenate(sides.validation);
  if (train.length >= options.minTokens && validation.length >= options.minTokens) {
    return {
      train,
      validation,
      documents: { train: sides.train.length, validation: sides.validation.length },
      heldOut: 'documents',
    };
  }
  return {
    ...holdOutTail(concatenate(all), options.validationShare, options.minTokens),
    documents: { train: count, validation: 0 },
    heldOut: 'tail',
  };
}

/**
 * A language-model dataset's documents as training and held-out streams, each at least one window
 * of `context` tokens (the CLI's and the platform's runs read their corpus through this).
 */
export function tokenizeDataset(
  dataset: LanguageModelDataset,
  tokenizer: Tokenizer,
  context: number,
  onProgress?: TokenizeCorpusOptions['onProgress'],
): Promise<CorpusTokens> {
  return tokenizeCorpus(datasetDocuments(dataset), tokenizer, {
    validationShare: VALIDATION_SHARE,
    minTokens: context,
    ...(onProgress === undefined ? {} : { onProgress }),
  });
}
