import { readFile } from 'node:fs/promises';
import { CorpusError, loadTokenizer, type Tokenizer, TokenizerError } from '@bilinear-lab/text';
import { CliInputError, inputAt } from './errors.js';

/**
 * Runs `work` and rethrows the text package's input errors — TokenizerError (a malformed
 * tokenizer.json or corpus, a corpus with no words, a vocabulary too small) and CorpusError (a
 * malformed corpus line) — as CliInputError: exit status 2, its message as is (it names the file
 * and line), or after `--vocab:` when the vocabulary size is at fault. Apart from ./errors.ts so
 * that commands without text never load the tokenizer's native binary.
 */
export async function tokenizerInput<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CorpusError) throw new CliInputError(error.message, { cause: error });
    if (!(error instanceof TokenizerError)) throw error;
    const flag = error.code === 'invalid-option' ? '--vocab: ' : '';
    throw new CliInputError(`${flag}${error.message}`, { cause: error });
  }
}

/** Reads and loads a tokenizer.json, every failure worded for the user (exit status 2). */
export async function readTokenizer(path: string): Promise<Tokenizer> {
  const text = await inputAt(path, () => readFile(path, 'utf8'));
  return tokenizerInput(() => loadTokenizer(text, path));
}
