import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CorpusError,
  cleanDocument,
  packWindows,
  readCorpusDocuments,
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
