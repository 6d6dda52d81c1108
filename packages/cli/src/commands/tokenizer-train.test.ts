import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_DIR, runCli, temporaryDirectory } from '../testing/cli.js';

const CORPUS = join(FIXTURE_DIR, 'lm/corpus.txt');
const HF_TOKENIZER = join(FIXTURE_DIR, 'lm/tokenizer.json');
const HAS_FIXTURE = existsSync(CORPUS) && existsSync(HF_TOKENIZER);

const directory = temporaryDirectory();
afterAll(() => directory.remove());

const STORIES = [
  'Once upon a time, a little robot counted 1, 2, 3 stars.',
  'The robot was happy! It counted the stars again: 4, 5 and 6.',
  'Ünïcode façade — the café said "bonjour" to the robot.',
].join('\n\n');

function writeCorpus(name: string, text: string): string {
  const path = join(directory.path, name);
  writeFileSync(path, text);
  return path;
}

describe('bilinear tokenizer train', () => {
  it('writes a tokenizer.json that tokenize reads: [BOS] first, progress on stderr, nothing on stdout', () => {
    const corpus = writeCorpus('stories.txt', STORIES);
    const out = join(directory.path, 'stories.tokenizer.json');
    const run = runCli(['tokenizer', 'train', '--corpus', corpus, '--vocab', '90', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/distinct words/);
    expect(run.stderr).toContain(`bilinear: wrote ${out} (vocabulary 90:`);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      model: { type: string; vocab: Record<string, number> };
    };
    expect(json.model.type).toBe('WordPiece');
    expect(Object.keys(json.model.vocab)).toHaveLength(90);
    expect(json.model.vocab).toMatchObject({ '[UNK]': 0, '[BOS]': 1, '[EOS]': 2 });

    const tokenized = runCli(['tokenize', out, '--text', 'The robot counted 3 stars!', '--json']);
    expect(tokenized.code).toBe(0);
    const { ids, tokens } = JSON.parse(tokenized.stdout) as { ids: number[]; tokens: string[] };
    expect(ids[0]).toBe(1);
    expect(tokens[0]).toBe('[BOS]');
    expect(tokens.slice(1).join(' ')).toBe('the robot counted 3 stars !');
  });

  it('writes the same bytes every time', () => {
    const corpus = writeCorpus('again.txt', STORIES);
    const outs = ['a.json', 'b.json'].map((name) => join(directory.path, name));
    for (const out of outs) {
      expect(runCli(['tokenizer', 'train', '--corpus', corpus, '--vocab', '70', '--out', out]).code).toBe(0);
    }
    expect(readFileSync(outs[0] as string, 'utf8')).toBe(readFileSync(outs[1] as string, 'utf8'));
  });

  it('exits 2 naming the problem, and writes nothing', () => {
    const out = join(directory.path, 'never.json');
    const train = (corpus: string, vocab: string, target = out) =>
      runCli(['tokenizer', 'train', '--corpus', corpus, '--vocab', vocab, '--out', target]);

    const missing = join(directory.path, 'missing.txt');
    expect(train(missing, '100')).toMatchObject({
      code: 2,
      stderr: `bilinear: ${missing}: no such file or directory\n`,
    });

    const blank = writeCorpus('blank.txt', '\n\n  \n');
    expect(train(blank, '100')).toMatchObject({
      code: 2,
      stderr: `bilinear: ${blank}: the corpus holds no words\n`,
    });

    const small = train(writeCorpus('small.txt', STORIES), '20');
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(
      /^bilinear: --vocab: a vocabulary of 20 is too small: the corpus needs \d+ tokens/,
    );

    const zero = train(writeCorpus('zero.txt', STORIES), '0');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("option '--vocab <n>' argument '0' is invalid");

    const nowhere = join(directory.path, 'no-such-directory', 'out.json');
    expect(train(writeCorpus('fine.txt', STORIES), '100', nowhere)).toMatchObject({
      code: 2,
      stderr: `bilinear: ${nowhere}: directory ${join(directory.path, 'no-such-directory')} does not exist\n`,
    });

    const jsonl = writeCorpus('broken.jsonl', '{"text": "fine"}\nnot json\n');
    const broken = train(jsonl, '100');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(new RegExp(`^bilinear: ${jsonl}:2: not a JSON object`));

    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(!HAS_FIXTURE)(
  HAS_FIXTURE
    ? 'bilinear tokenizer train on the fixture corpus'
    : 'bilinear tokenizer train on the fixture corpus (skipped: ../shared/fixtures/lm is absent here)',
  () => {
    it('learns the 768 tokens HF tokenizers learned from it', () => {
      const out = join(directory.path, 'fixture.tokenizer.json');
      const run = runCli(['tokenizer', 'train', '--corpus', CORPUS, '--vocab', '768', '--out', out]);
      expect(run.code).toBe(0);
      const vocab = (path: string) =>
        new Set(
          Object.keys((JSON.parse(readFileSync(path, 'utf8')) as { model: { vocab: object } }).model.vocab),
        );
      expect(vocab(out)).toEqual(vocab(HF_TOKENIZER));
    });
  },
);
