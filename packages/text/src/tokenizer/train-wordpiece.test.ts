import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from './tokenizer.js';
import { TokenizerError } from './tokenizer-error.js';
import { trainWordPiece, trainWordPieceFromFile } from './train-wordpiece.js';

const LM_FIXTURES = new URL('../../../../../shared/fixtures/lm/', import.meta.url);
const CORPUS = new URL('corpus.txt', LM_FIXTURES);
const HF_TOKENIZER = new URL('tokenizer.json', LM_FIXTURES);
const HAS_FIXTURES = existsSync(CORPUS) && existsSync(HF_TOKENIZER);
const HAS_PYTHON_TOKENIZERS =
  spawnSync('python3', ['-c', 'import tokenizers'], { stdio: 'ignore' }).status === 0;

const directory = mkdtempSync(join(tmpdir(), 'bilinear-text-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const documents = (text: string) => text.split(/\n\s*\n/).filter((document) => document.trim() !== '');

/** Seeded words with accents, digits, punctuation and emoji, a line at a time. */
function syntheticCorpus(characters: number, seed: number): string {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  const letters = 'abcdeéfghiïjklmnoöpqrstuüvwxyzß0123456789';
  const extras = [',', '.', '!', '🙂', 'Ä', '—', '(', ')'];
  const lines: string[] = [];
  let total = 0;
  while (total < characters) {
    const words: string[] = [];
    for (let w = 0; w < 12; w++) {
      let word = '';
      const length = 1 + Math.floor(next() * 9);
      for (let c = 0; c < length; c++) word += letters[Math.floor(next() * letters.length)];
      if (next() < 0.2) word += extras[Math.floor(next() * extras.length)];
      words.push(word);
    }
    const line = words.join(next() < 0.1 ? '\t' : ' ');
    lines.push(line, ...(next() < 0.2 ? [''] : []));
    total += line.length + 1;
  }
  return lines.join('\n');
}

describe.skipIf(!HAS_FIXTURES)(
  HAS_FIXTURES
    ? 'training on the fixture corpus, against the tokenizer HF tokenizers trained on it'
    : 'training on the fixture corpus (skipped: ../shared/fixtures/lm is absent here)',
  () => {
    const train = () => trainWordPieceFromFile(CORPUS.pathname, { vocabSize: 768 });
    const hf = () =>
      JSON.parse(readFileSync(HF_TOKENIZER, 'utf8')) as { model: { vocab: Record<string, number> } };

    it('learns the same 768 tokens as HF’s WordPieceTrainer, with the same ids up to the alphabet', async () => {
      const trained = await train();
      const hfVocab = hf().model.vocab;
      expect(trained.vocabulary).toHaveLength(768);
      expect(new Set(trained.vocabulary)).toEqual(new Set(Object.keys(hfVocab)));
      // Specials and characters are sorted alike; HF adds ## pieces in hash order, so ids differ after.
      const hfOrder = Object.entries(hfVocab)
        .sort((a, b) => a[1] - b[1])
        .map(([token]) => token);
      const shared = hfOrder.findIndex((token) => token.startsWith('##'));
      expect(shared).toBeGreaterThan(3);
      expect(trained.vocabulary.slice(0, shared)).toEqual(hfOrder.slice(0, shared));
    });

    it('writes a tokenizer that reads back: specials 0, 1, 2, [BOS] first, no [UNK] in the corpus', async () => {
      const trained = await train();
      const tokenizer = loadTokenizer(trained.json);
      expect(tokenizer.vocabSize).toBe(768);
      expect(tokenizer.special).toEqual({ unk: 0, bos: 1, eos: 2, pad: null });
      const texts = documents(readFileSync(CORPUS, 'utf8')).slice(0, 20);
      for (const encoding of await tokenizer.encodeBatch(texts)) {
        expect(encoding.ids[0]).toBe(1);
        expect(encoding.ids.slice(1).includes(0)).toBe(false);
        const again = await tokenizer.encode(await tokenizer.decode(encoding.ids));
        expect(again.ids).toEqual(encoding.ids);
      }
    });

    it('gives the same file every time, and from documents as from the file', async () => {
      const first = await train();
      expect((await train()).json).toBe(first.json);
      const fromDocuments = await trainWordPiece(documents(readFileSync(CORPUS, 'utf8')), { vocabSize: 768 });
      expect(fromDocuments.json).toBe(first.json);
    });
  },
);

describe('trainWordPieceFromFile', () => {
  it('counts the words of a streamed corpus file as of its whole text (multi-byte characters, long files)', async () => {
    const text = syntheticCorpus(1_400_000, 7);
    const path = join(directory, 'synthetic.txt');
    writeFileSync(path, text);
    const steps: { documents: number; bytesRead: number; totalBytes: number }[] = [];
    const fromFile = await trainWordPieceFromFile(path, {
      vocabSize: 400,
      onProgress: (step) => {
        if (step.phase === 'count') steps.push(step);
      },
    });
    const whole = await trainWordPiece([text], { vocabSize: 400 });
    expect(fromFile.json).toBe(whole.json);
    expect(fromFile.distinctWords).toBe(whole.distinctWords);
    const last = steps.at(-1);
    expect(last?.documents).toBe(documents(text).length);
    expect(last?.totalBytes).toBe(Buffer.byteLength(text));
    expect(last?.bytesRead).toBeGreaterThan(0.99 * Buffer.byteLength(text));
    expect(last?.bytesRead).toBeLessThanOrEqual(Buffer.byteLength(text));
  });

  it('reads every corpus form the corpus reader knows: <|endoftext|> separators, .jsonl, gzip', async () => {
    const stories = ['Once upon a time, a cat sat.', 'The dog ran home!\nIt was happy.', 'Ünïcode 42 — ok'];
    const plain = join(directory, 'stories.txt');
    writeFileSync(plain, `${stories.join('\n\n')}\n`);
    const marked = join(directory, 'stories-marked.txt');
    writeFileSync(marked, stories.join('<|endoftext|>'));
    const jsonl = join(directory, 'stories.jsonl.gz');
    writeFileSync(jsonl, gzipSync(stories.map((text) => JSON.stringify({ text })).join('\n')));
    const options = { vocabSize: 60 };
    const expected = (await trainWordPieceFromFile(plain, options)).json;
    expect(expected).not.toContain('endoftext');
    expect((await trainWordPieceFromFile(marked, options)).json).toBe(expected);
    expect((await trainWordPieceFromFile(jsonl, options)).json).toBe(expected);
  });

  it('treats CRLF line ends and a missing final newline like any whitespace', async () => {
    const lines = ['Alpha beta, gamma!', 'Beta gamma; delta 12.', '', 'Gamma delta epsilon?'];
    const crlf = join(directory, 'crlf.txt');
    writeFileSync(crlf, lines.join('\r\n'));
    const lf = join(directory, 'lf.txt');
    writeFileSync(lf, `${lines.join('\n')}\n`);
    const options = { vocabSize: 40 };
    expect((await trainWordPieceFromFile(crlf, options)).json).toBe(
      (await trainWordPieceFromFile(lf, options)).json,
    );
  });

  it('refuses a corpus with no words, naming the file', async () => {
    const path = join(directory, 'blank.txt');
    writeFileSync(path, '\n\n   \n\t\n');
    await expect(trainWordPieceFromFile(path, { vocabSize: 100 })).rejects.toThrow(
      new TokenizerError('empty-corpus', `${path}: the corpus holds no words`),
    );
  });

  it('refuses what the corpus reader refuses, naming the line', async () => {
    const path = join(directory, 'broken.jsonl');
    writeFileSync(path, '{"text": "fine"}\n{"text": 3}\n');
    await expect(trainWordPieceFromFile(path, { vocabSize: 100 })).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid-corpus',
        message: `${path}:2: the record has no string field "text"`,
      }),
    );
  });

  it('refuses a vocabulary too small for the alphabet', async () => {
    const path = join(directory, 'small.txt');
    writeFileSync(path, 'abc abd\n');
    await expect(trainWordPieceFromFile(path, { vocabSize: 8 })).rejects.toThrow(
      'a vocabulary of 8 is too small: the corpus needs 10 tokens before any merge ' +
        '(3 special tokens, 4 characters, 3 continuation pieces (##x))',
    );
  });
});

describe.skipIf(!HAS_PYTHON_TOKENIZERS)(
  HAS_PYTHON_TOKENIZERS
    ? 'a trained tokenizer in python’s HF tokenizers'
    : 'a trained tokenizer in python’s HF tokenizers (skipped: python3 cannot import tokenizers; pip install tokenizers)',
  () => {
    it('loads, saves back the same JSON, and encodes every text to our ids', async () => {
      const corpus = syntheticCorpus(300_000, 11);
      const trained = await trainWordPiece(documents(corpus), { vocabSize: 600 });
      const path = join(directory, 'trained.tokenizer.json');
      writeFileSync(path, trained.json);
      const texts = [
        ...documents(corpus).slice(0, 50),
        'Ünïcode façade, 3.14159 and 42 — done!',
        'Hello  WORLD\tagain\n\n(yes) [BOS] [UNK] 🙂',
        '',
      ];
      const script = [
        'import json, sys',
        'from tokenizers import Tokenizer',
        'tok = Tokenizer.from_file(sys.argv[1])',
        'texts = json.load(sys.stdin)',
        'print(json.dumps({"saved": json.loads(tok.to_str()), "ids": [tok.encode(t).ids for t in texts]}))',
      ].join('\n');
      const run = spawnSync('python3', ['-c', script, path], {
        input: JSON.stringify(texts),
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      const python = JSON.parse(run.stdout) as { saved: unknown; ids: number[][] };
      expect(python.saved).toEqual(JSON.parse(trained.json));
      const ours = await loadTokenizer(trained.json).encodeBatch(texts);
      expect(ours.map((encoding) => [...encoding.ids])).toEqual(python.ids);
    });
  },
);
