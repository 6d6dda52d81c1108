// Text corpora as the reference prepares TinyStories: documents streamed from a file (plain text
// with documents separated by blank lines or `<|endoftext|>`, or `.jsonl` with a `text` field;
// either gzipped when the name ends in .gz), cleaned to ASCII, de-duplicated, split into training
// and validation deterministically, and packed into windows of a context length.

import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export class CorpusError extends Error {
  override readonly name = 'CorpusError';
  /** The line (1-based, of the decompressed text) the problem is on, when it is on one. */
  readonly line: number | null;
  /**
   * "record": a jsonl line that is not a record with the field (depends on the format and field read
   * with); "text": the bytes themselves (UTF-8, a line's length, gzip, size), whatever the format.
   */
  readonly kind: 'record' | 'text';
  constructor(message: string, options: { cause?: unknown; line?: number; kind?: 'record' | 'text' } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.line = options.line ?? null;
    this.kind = options.kind ?? 'text';
  }
}

export type CorpusFormat = 'text' | 'jsonl';

export interface CorpusReadOptions {
  /** Default: `jsonl` for names ending in .jsonl or .jsonl.gz, `text` otherwise. */
  format?: CorpusFormat;
  /** jsonl: the field holding each document (default "text"). */
  field?: string;
  /**
   * Longest line read, in characters (default 1 M): a longer one is an error, not a memory spike (a
   * line is refused once its bytes pass three times this, before it is held whole).
   */
  maxLineLength?: number;
  /** Whether the bytes are gzip (default: the name ends in .gz). */
  gzip?: boolean;
  /** The most bytes read (after decompression): a gzip bomb is stopped there. Default: no limit. */
  maxBytes?: number;
  /** What messages call the corpus (default: its path), e.g. an uploaded corpus kept in a temporary file. */
  name?: string;
}

/** What a read went through, filled in as it goes (an upload reports these). */
export interface CorpusReadStats {
  /** Lines of the (decompressed) text. */
  lines: number;
  /** Characters (UTF-16 code units) of those lines, line breaks not counted. */
  characters: number;
  /** Bytes of the (decompressed) text. */
  bytes: number;
}

export const DEFAULT_MAX_LINE_LENGTH = 1 << 20;
const END_OF_TEXT = '<|endoftext|>';
/** A line's number (from 1) and its text. */
type Line = [number, string];
const NEWLINE = 0x0a;
/**
 * Text gzips 3–10 times smaller; past this many bytes of text, one that expanded more than
 * MAX_GZIP_RATIO times is refused as a bomb (its blank lines would otherwise be read for minutes).
 */
const GZIP_RATIO_FREE_BYTES = 64 << 20;
const MAX_GZIP_RATIO = 200;
/** Bytes a UTF-8 line may hold per UTF-16 code unit, at most. */
const MAX_BYTES_PER_UNIT = 3;

export function corpusFormatOf(path: string): CorpusFormat {
  return /\.jsonl(\.gz)?$/i.test(path) ? 'jsonl' : 'text';
}

export function isGzipName(path: string): boolean {
  return /\.gz$/i.test(path);
}

/**
 * The documents of a corpus file, raw, in file order, one at a time (memory bounded by the longest
 * document). CorpusError names the line of a malformed jsonl record.
 */
export function readCorpusDocuments(path: string, options: CorpusReadOptions = {}): AsyncGenerator<string> {
  return readCorpusStream(createReadStream(path), options.name ?? path, options);
}

/**
 * The documents of a corpus arriving as bytes (a file, an upload), read as readCorpusDocuments reads a
 * file named `name`: the name decides the format and gzip unless the options say. Every line must be
 * UTF-8; CorpusError names the line of what is wrong (`<name>:<line>: …`), or the file for a broken gzip.
 */
export async function* readCorpusStream(
  source: AsyncIterable<Uint8Array>,
  name: string,
  options: CorpusReadOptions = {},
  stats: CorpusReadStats = { lines: 0, characters: 0, bytes: 0 },
): AsyncGenerator<string> {
  const gzip = options.gzip ?? isGzipName(name);
  // Compressed bytes read so far: text expands a few times, a gzip bomb a thousand.
  const compressed = { bytes: 0 };
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      compressed.bytes += chunk.length;
      yield chunk;
    }
  }
  const bytes: AsyncIterable<Uint8Array> = gzip
    ? pipeline(Readable.from(counted(), { objectMode: false }), createGunzip(), () => {})
    : source;
  try {
    yield* documentsOf(linesOf(bytes, name, options, stats, gzip ? compressed : null), name, options);
  } catch (error) {
    // zlib's own errors (a .gz name on a file that is not gzip, a cut-off archive) name no file.
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new CorpusError(`${name}: not a readable gzip file (${(error as Error).message})`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * The lines of UTF-8 bytes (LF or CRLF), numbered from 1, each checked as it completes, a chunk's
 * lines at a time (one await per chunk, not per line: a file of blank lines reads at memory speed).
 */
async function* linesOf(
  bytes: AsyncIterable<Uint8Array>,
  name: string,
  options: CorpusReadOptions,
  stats: CorpusReadStats,
  compressed: { bytes: number } | null,
): AsyncGenerator<Line[]> {
  const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const maxLineBytes = maxLine * MAX_BYTES_PER_UNIT;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = 0;
  const tooLong = () =>
    new CorpusError(
      `${name}:${lineNumber}: a line longer than ${maxLine} characters (the most a line may have)`,
      {
        line: lineNumber,
      },
    );
  const invalid = (line: Uint8Array) =>
    new CorpusError(`${name}:${lineNumber}: not valid UTF-8 text (${invalidAt(line)})`, { line: lineNumber });
  /** The line's text, from bytes [start, end) of `buffer` (after any pending bytes of the line). */
  const finish = (buffer: Buffer, start: number, end: number, checked: boolean): string => {
    let text: string;
    if (pending.length > 0) {
      pending.push(buffer.subarray(start, end));
      const line = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      if (!isUtf8(line)) throw invalid(line);
      text = line.toString('utf8');
    } else if (start === end) {
      text = '';
    } else {
      if (!checked && !isUtf8(buffer.subarray(start, end))) throw invalid(buffer.subarray(start, end));
      text = buffer.toString('utf8', start, end);
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.length > maxLine) throw tooLong();
    stats.lines = lineNumber;
    stats.characters += text.length;
    return text;
  };
  for await (const piece of bytes) {
    const chunk = Buffer.isBuffer(piece)
      ? piece
      : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    stats.bytes += chunk.length;
    if (options.maxBytes !== undefined && stats.bytes > options.maxBytes) {
      throw new CorpusError(
        `${name}: more than ${options.maxBytes} bytes of text${(options.gzip ?? isGzipName(name)) ? ' once decompressed' : ''} (the most read)`,
        { line: lineNumber + 1 },
      );
    }
    if (
      compressed !== null &&
      stats.bytes > GZIP_RATIO_FREE_BYTES &&
      stats.bytes > MAX_GZIP_RATIO * compressed.bytes
    ) {
      throw new CorpusError(
        `${name}: ${compressed.bytes} bytes of gzip expanded to more than ${stats.bytes} bytes of text, more than ${MAX_GZIP_RATIO} times: a gzip bomb, not a corpus`,
        { line: lineNumber + 1 },
      );
    }
    const lines: Line[] = [];
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    let start = 0;
    if (lastNewline >= 0) {
      // The lines wholly inside this chunk are checked as UTF-8 at once (one native call); only a
      // chunk that fails is checked line by line, to name the line.
      const firstNewline = chunk.indexOf(NEWLINE);
      const whole = firstNewline < lastNewline && isUtf8(chunk.subarray(firstNewline + 1, lastNewline));
      for (let end = firstNewline; end !== -1 && end <= lastNewline; end = chunk.indexOf(NEWLINE, start)) {
        lineNumber++;
        lines.push([lineNumber, finish(chunk, start, end, start > firstNewline && whole)]);
        start = end + 1;
      }
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLineBytes) {
        lineNumber++;
        throw tooLong();
      }
    }
    if (lines.length > 0) yield lines;
  }
  if (pendingBytes > 0) {
    lineNumber++;
    yield [[lineNumber, finish(Buffer.alloc(0), 0, 0, true)]];
  }
}

/** Where in a line its UTF-8 first breaks, in words. */
function invalidAt(line: Uint8Array): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let low = 0;
  let high = line.length;
  // The longest valid prefix, by bisection (a prefix cut inside a character also fails, so this
  // finds the first bad byte give or take a character).
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    try {
      decoder.decode(line.subarray(0, middle), { stream: true });
      decoder.decode();
      low = middle;
    } catch {
      high = middle - 1;
    }
  }
  return `byte ${low + 1} of the line`;
}

async function* documentsOf(
  batches: AsyncIterable<Line[]>,
  name: string,
  options: CorpusReadOptions,
): AsyncGenerator<string> {
  const format = options.format ?? corpusFormatOf(name);
  const field = options.field ?? 'text';
  let current: string[] = [];
  const flush = function* () {
    const text = current.join('\n').trim();
    current = [];
    if (text !== '') yield text;
  };
  for await (const batch of batches)
    for (const [lineNumber, line] of batch) {
      if (line === '') {
        // Blank lines end a text document (many in a row, or before any text, end nothing).
        if (current.length > 0) yield* flush();
        continue;
      }
      if (format === 'jsonl') {
        if (line.trim() === '') continue;
        let record: unknown;
        try {
          record = JSON.parse(line);
        } catch (error) {
          throw new CorpusError(`${name}:${lineNumber}: not a JSON object (${(error as Error).message})`, {
            line: lineNumber,
            kind: 'record',
          });
        }
        const text = (record as Record<string, unknown> | null)?.[field];
        if (typeof text !== 'string') {
          throw new CorpusError(`${name}:${lineNumber}: the record has no string field "${field}"`, {
            line: lineNumber,
            kind: 'record',
          });
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
      if (line.trim() !== '') current.push(line);
      // A blank line ends a document; one after another (or before any text) ends nothing.
      else if (current.length > 0) yield* flush();
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
