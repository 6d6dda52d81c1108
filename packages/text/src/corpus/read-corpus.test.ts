import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CorpusError,
  type CorpusReadStats,
  cleanDocument,
  packWindows,
  readCorpusDocuments,
  readCorpusStream,
  splitOf,
  uniqueDocuments,
} from './read-corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('readCorpusDocuments', () => {
  it('text: documents separated by blank lines or <|endoftext|>, gzipped or not', async () => {
    const text =
      'once upon a time.\nthe end.\n\n\nsecond story.\n<|endoftext|>\nthird story.<|endoftext|>fourth\n';
    writeFileSync(join(dir, 'a.txt'), text);
    writeFileSync(join(dir, 'a.txt.gz'), gzipSync(text));
    const expected = ['once upon a time.\nthe end.', 'second story.', 'third story.', 'fourth'];
    expect(await all(readCorpusDocuments(join(dir, 'a.txt')))).toEqual(expected);
    expect(await all(readCorpusDocuments(join(dir, 'a.txt.gz')))).toEqual(expected);
  });

  it('jsonl: the text field of each record; a bad line is named', async () => {
    writeFileSync(join(dir, 'b.jsonl'), '{"text": "one"}\n\n{"text": "two", "id": 2}\n');
    expect(await all(readCorpusDocuments(join(dir, 'b.jsonl')))).toEqual(['one', 'two']);
    writeFileSync(join(dir, 'c.jsonl'), '{"text": "one"}\n{"story": "two"}\n');
    await expect(all(readCorpusDocuments(join(dir, 'c.jsonl')))).rejects.toThrow(
      `${join(dir, 'c.jsonl')}:2: the record has no string field "text"`,
    );
    await expect(all(readCorpusDocuments(join(dir, 'c.jsonl'), { name: 'upload.jsonl' }))).rejects.toThrow(
      'upload.jsonl:2: the record has no string field "text"',
    );
    writeFileSync(join(dir, 'd.jsonl'), '{"text": "one"}\n{nope\n');
    await expect(all(readCorpusDocuments(join(dir, 'd.jsonl')))).rejects.toThrow(
      /d\.jsonl:2: not a JSON object/,
    );
  });

  it('a .gz name on a file that is not gzip, or a cut-off archive: a CorpusError naming the file', async () => {
    writeFileSync(join(dir, 'e.txt.gz'), 'plain text, not gzip\n');
    await expect(all(readCorpusDocuments(join(dir, 'e.txt.gz')))).rejects.toThrow(
      new CorpusError(`${join(dir, 'e.txt.gz')}: not a readable gzip file (incorrect header check)`),
    );
    writeFileSync(join(dir, 'f.jsonl.gz'), gzipSync('{"text": "one"}\n'.repeat(100)).subarray(0, 30));
    await expect(all(readCorpusDocuments(join(dir, 'f.jsonl.gz')))).rejects.toBeInstanceOf(CorpusError);
  });
});

describe('readCorpusStream (bytes as they arrive, e.g. an upload)', () => {
  /** The bytes in pieces of `size`, as a network would cut them (through characters and lines). */
  async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }

  it('reads the same documents as the file reader, whatever the cuts, and counts lines, characters and bytes', async () => {
    const text = 'héllo wörld.\r\nsecond line\n\nnext 👋 story\n<|endoftext|>\nlast';
    const bytes = Buffer.from(text);
    writeFileSync(join(dir, 'g.txt'), bytes);
    const expected = await all(readCorpusDocuments(join(dir, 'g.txt')));
    expect(expected).toEqual(['héllo wörld.\nsecond line', 'next 👋 story', 'last']);
    for (const size of [1, 2, 3, 7, 1000]) {
      const stats: CorpusReadStats = { lines: 0, characters: 0, bytes: 0 };
      expect(await all(readCorpusStream(pieces(bytes, size), 'g.txt', {}, stats))).toEqual(expected);
      expect(stats).toEqual({ lines: 6, characters: text.replace(/\r?\n/g, '').length, bytes: bytes.length });
    }
    const gz = gzipSync(bytes);
    expect(await all(readCorpusStream(pieces(gz, 5), 'upload', { gzip: true }))).toEqual(expected);
  });

  it('names the line of invalid UTF-8, of a line too long (before holding it whole), of a bad jsonl field', async () => {
    const bad = Buffer.concat([
      Buffer.from('fine\nalso fine\nbroken '),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ]);
    await expect(all(readCorpusStream(pieces(bad, 4), 'u.txt'))).rejects.toThrow(
      'u.txt:3: not valid UTF-8 text (byte 8 of the line)',
    );
    const long = Buffer.from(`short\n${'x'.repeat(100_000)}`);
    const stats: CorpusReadStats = { lines: 0, characters: 0, bytes: 0 };
    const error = await all(readCorpusStream(pieces(long, 10), 'l.txt', { maxLineLength: 100 }, stats)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CorpusError);
    expect((error as CorpusError).message).toBe(
      'l.txt:2: a line longer than 100 characters (the most a line may have)',
    );
    expect((error as CorpusError).line).toBe(2);
    // Stopped within 3 × 100 bytes of the line's start (plus one piece), not at its end.
    expect(stats.bytes).toBeLessThanOrEqual(6 + 300 + 10);
    await expect(
      all(
        readCorpusStream(pieces(Buffer.from('{"body": "a"}\n{"body": 3}\n'), 7), 'v.jsonl', {
          field: 'body',
        }),
      ),
    ).rejects.toThrow('v.jsonl:2: the record has no string field "body"');
    await expect(
      all(
        readCorpusStream(pieces(Buffer.from('{"body": "a"}\n'), 7), 'v.txt', {
          format: 'jsonl',
          field: 'body',
        }),
      ),
    ).resolves.toEqual(['a']);
  });

  it('stops a gzip bomb at maxBytes, and names a broken gzip', async () => {
    const bomb = gzipSync(Buffer.alloc(8 << 20, 0x0a));
    await expect(
      all(readCorpusStream(pieces(bomb, 1 << 16), 'b.txt.gz', { maxBytes: 1 << 20 })),
    ).rejects.toThrow(`b.txt.gz: more than ${1 << 20} bytes of text once decompressed (the most read)`);
    // No cap given: past 64 MiB of text, more than 200 times its gzip is a bomb.
    const lines = gzipSync(Buffer.from(`${'x'.repeat(99)}\n`.repeat(800_000)));
    await expect(all(readCorpusStream(pieces(lines, 1 << 16), 'r.txt.gz'))).rejects.toThrow(
      /^r\.txt\.gz: \d+ bytes of gzip expanded to more than \d+ bytes of text, more than 200 times: a gzip bomb/,
    );
    await expect(all(readCorpusStream(pieces(Buffer.from('plain'), 2), 'p.txt.gz'))).rejects.toThrow(
      'p.txt.gz: not a readable gzip file (incorrect header check)',
    );
    const cut = gzipSync(Buffer.from('abc\n'.repeat(1000))).subarray(0, 40);
    await expect(all(readCorpusStream(pieces(cut, 8), 'c.txt.gz'))).rejects.toThrow(
      /c\.txt\.gz: not a readable gzip file/,
    );
  });
});

describe('cleaning, de-duplication, split and packing', () => {
  it('cleans to ASCII as encode("ascii", "ignore") does', () => {
    expect(cleanDocument('  café – “quoted” ok  ')).toBe('caf  quoted ok');
  });

  it('keeps each document once, in order', async () => {
    expect(await all(uniqueDocuments(['a', 'b', 'a', 'c', 'b']))).toEqual(['a', 'b', 'c']);
  });

  it('splits by the text alone: deterministic, near the share asked for', () => {
    const docs = Array.from({ length: 4000 }, (_, i) => `story number ${i}`);
    const validation = docs.filter((doc) => splitOf(doc, 0.1) === 'validation').length;
    expect(validation / docs.length).toBeGreaterThan(0.08);
    expect(validation / docs.length).toBeLessThan(0.12);
    expect(docs.map((doc) => splitOf(doc, 0.1))).toEqual(docs.map((doc) => splitOf(doc, 0.1)));
    expect(splitOf('x', 0)).toBe('train');
    expect(splitOf('x', 1)).toBe('validation');
  });

  it('packs concatenated ids into windows of the context', async () => {
    const windows = await all(
      packWindows(
        [
          [1, 2, 3],
          [1, 4],
          [1, 5, 6, 7],
        ],
        3,
      ),
    );
    expect(windows.map((w) => Array.from(w))).toEqual([
      [1, 2, 3],
      [1, 4, 1],
      [5, 6, 7],
    ]);
    const kept = await all(packWindows([[1, 2, 3, 4]], 3, { keepLast: true }));
    expect(kept.map((w) => Array.from(w))).toEqual([[1, 2, 3]]);
  });
});
