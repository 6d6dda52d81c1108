// A corpus read for measuring a language model (evaluation, SAE training and evaluation, activations):
// its documents cleaned and de-duplicated as for training, each through the model's tokenizer ([BOS]
// first), packed into windows of the model's context, at most about `maxTokens` tokens. The CLI's
// `--corpus <file>` and the platform's dataset specs read text this way, so both score the same windows.
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { cleanDocument, packWindows, uniqueDocuments } from './read-corpus.js';

/** Window length for a model whose config says no context. */
export const DEFAULT_WINDOW_CONTEXT = 256;

/** The windows' length for a model: its context (n_ctx), or DEFAULT_WINDOW_CONTEXT when unknown. */
export function windowContext(modelContext: number | null | undefined): number {
  return modelContext ?? DEFAULT_WINDOW_CONTEXT;
}

/**
 * Windows of `context` token ids (the last one may be shorter), stopping once they hold at least
 * `maxTokens` tokens; empty when the documents hold no text.
 */
export async function tokenWindows(
  documents: AsyncIterable<string> | Iterable<string>,
  tokenizer: Tokenizer,
  context: number,
  maxTokens: number,
): Promise<number[][]> {
  const windows: number[][] = [];
  const encoded = async function* () {
    for await (const document of uniqueDocuments(documents)) {
      yield (await tokenizer.encode(cleanDocument(document))).ids;
    }
  };
  let tokens = 0;
  for await (const window of packWindows(encoded(), context, { keepLast: true })) {
    windows.push(Array.from(window));
    tokens += window.length;
    if (tokens >= maxTokens) break;
  }
  return windows;
}
