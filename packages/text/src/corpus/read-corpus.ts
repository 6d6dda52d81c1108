// Text corpora as the reference prepares TinyStories: documents streamed from a file (plain text
// with documents separated by blank lines or `<|endoftext|>`, or `.jsonl` with a `text` field;
// either gzipped when the name ends in .gz), cleaned to ASCII, de-duplicated, split into training
// and validation deterministically, and packed into windows of a context length.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export class CorpusError extends Error {
  override readonly name = 'CorpusError';
}

export type CorpusFormat = 'text' | 'jsonl';

export interface CorpusReadOptions {
  /** Default: `jsonl` for names ending in .jsonl or .jsonl.gz, `text` otherwise. */
  format?: CorpusFormat;
  /** jsonl: the field holding each document (default "text"). */
  field?: string;
  /** Longest line read, in characters (default 1 M): a longer one is an error, not a memory spike. */
  maxLineLength?: number;
}

const END_OF_TEXT = '<|endoftext|>';

export function corpusFormatOf(path: string): CorpusFormat {
  return /\.jsonl(\.gz)?$/i.test(path) ? 'jsonl' : 'text';
}

/**
 * The documents of a corpus file, raw, in file order, one at a time (memory bounded by the longest
 * document). CorpusError names the line of a malformed jsonl record.
 */
export async function* readCorpusDocuments(
  path: string,
  options: CorpusReadOptions = {},
): AsyncGenerator<string> {
  try {
    yield* documentsOf(path, options);
  } catch (error) {
    // zlib's own errors (a .gz name on a file that is not gzip, a cut-off archive) name no file.
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new CorpusError(`${path}: not a readable gzip file (${(error as Error).message})`, {
        cause: error,
      });
    }
    throw error;
  }
}

async function* documentsOf(path: string, options: CorpusReadOptions): AsyncGenerator<string> {
  const format = options.format ?? corpusFormatOf(path);
  const maxLine = options.maxLineLength ?? 1 << 20;
  let stream: Readable = createReadStream(path);
  if (/\.gz$/i.test(path)) stream = stream.pipe(createGunzip());
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  let current: string[] = [];
  const flush = function* () {
    const text = current.join('\n').trim();
    current = [];
    if (text !== '') yield text;
  };
  for await (const line of lines) {
    lineNumber++;
    if (line.length > maxLine) {
      throw new CorpusError(
        `${path}:${lineNumber}: a line of ${line.length} characters (at most ${maxLine})`,
      );
    }
    if (format === 'jsonl') {
      if (line.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (error) {
        throw new CorpusError(`${path}:${lineNumber}: not a JSON object (${(error as Error).message})`);
      }
      const field = options.field ?? 'text';
      const text = (record as Record<string, unknown> | null)?.[field];
      if (typeof text !== 'string') {
        throw new CorpusError(`${path}:${lineNumber}: the record has no string field "${field}"`);
      }
      if (text.trim() !== '') yield text;
      continue;
    }
    if (line.includes(END_OF_TEXT)) {
      const parts = line.split(END_OF_TEXT);
      parts.forEach((part, i) => {
        if (i > 0) current.push('\u0000');
        current.push(part);
      });
      // Split what was gathered at each marker.
      const joined = current.join('\n').split('\n\u0000\n');
      current = [joined.pop() ?? ''];
      for (const text of joined) if (text.trim() !== '') yield text.trim();
      continue;
    }
    if (line.trim() === '') yield* flush();
    else current.push(line);
  }
  yield* flush();
}

/** The reference's cleaning: drop every non-ASCII character (`encode('ascii', 'ignore')`), trim. */
export function cleanDocument(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  return text.replace(/[^\x00-\x7f]/g, '').trim();
}

/** Each distinct document once (by a 128-bit hash: 16 bytes kept per document, not the text). */
export async function* uniqueDocuments(
  documents: AsyncIterable<string> | Iterable<string>,
): AsyncGenerator<string> {
  const seen = new Set<string>();
  for await (const document of documents) {
    const key = createHash('md5').update(document).digest('base64');
    if (seen.has(key)) continue;
    seen.add(key);
    yield document;
  }
}

export type CorpusSplit = 'train' | 'validation';

/**
 * A document's split, decided by its own text (a hash), so it does not depend on the order or the
 * size of the corpus: about `validationShare` of the documents validate. (The reference shuffles
 * and takes the first 2¹⁴ stories; a streamed corpus cannot be shuffled whole.)
 */
export function splitOf(document: string, validationShare: number, seed = 0): CorpusSplit {
  if (!(validationShare >= 0 && validationShare <= 1)) {
    throw new CorpusError(`the validation share must be in [0, 1], got ${validationShare}`);
  }
  const digest = createHash('sha256').update(`${seed}\u0000${document}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < validationShare ? 'validation' : 'train';
}

/**
 * Token ids of consecutive documents, concatenated and cut into windows of `context` tokens (the
 * last, shorter window is dropped unless `keepLast`). Each document should already carry its
 * [BOS] (the tokenizer's post-processor adds it), so windows may span documents as in the reference.
 */
export async function* packWindows(
  encoded: AsyncIterable<ArrayLike<number>> | Iterable<ArrayLike<number>>,
  context: number,
  options: { keepLast?: boolean } = {},
): AsyncGenerator<Int32Array> {
  if (!Number.isInteger(context) || context < 2)
    throw new CorpusError(`the context must be a whole number ≥ 2, got ${context}`);
  let window = new Int32Array(context);
  let filled = 0;
  for await (const ids of encoded) {
    for (let i = 0; i < ids.length; i++) {
      window[filled++] = ids[i] as number;
      if (filled === context) {
        yield window;
        window = new Int32Array(context);
        filled = 0;
      }
    }
  }
  if (options.keepLast && filled > 1) yield window.slice(0, filled);
}
