import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_DIR, REPO_ROOT, runCli, temporaryDirectory } from '../testing/cli.js';

const WORDPIECE = join(FIXTURE_DIR, 'lm/tokenizer.json');
const WORDPIECE_REFERENCE = join(FIXTURE_DIR, 'lm/tokenizer.reference.json');
const HAS_FIXTURE = existsSync(WORDPIECE) && existsSync(WORDPIECE_REFERENCE);
// Made by HF tokenizers (python) in the text package's testdata: always present.
const BYTE_LEVEL = join(REPO_ROOT, 'packages/text/testdata/byte-level-bpe');

interface Reference {
  samples: { text: string; ids: number[]; tokens?: string[] }[];
}

const directory = temporaryDirectory();
afterAll(() => directory.remove());

/** `bilinear tokenize <path> --text <text> --json`: exit 0, nothing on stderr, exactly one JSON line. */
function tokenizeJson(path: string, text: string): { ids: number[]; tokens: string[] } {
  const run = runCli(['tokenize', path, '--text', text, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout.endsWith('\n')).toBe(true);
  expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
  const parsed = JSON.parse(run.stdout) as { ids: number[]; tokens: string[] };
  expect(Object.keys(parsed)).toEqual(['ids', 'tokens']);
  expect(parsed.ids).toHaveLength(parsed.tokens.length);
  return parsed;
}

describe.skipIf(!HAS_FIXTURE)(
  HAS_FIXTURE
    ? 'bilinear tokenize on the WordPiece fixture'
    : 'bilinear tokenize on the WordPiece fixture (skipped: ../shared/fixtures/lm is absent here)',
  () => {
    const reference = () => JSON.parse(readFileSync(WORDPIECE_REFERENCE, 'utf8')) as Reference;

    it('prints HF’s ids for every reference sample, [BOS] first, as one JSON line', () => {
      for (const sample of reference().samples) {
        const { ids, tokens } = tokenizeJson(WORDPIECE, sample.text);
        expect(ids, sample.text).toEqual(sample.ids);
        expect(tokens[0]).toBe('[BOS]');
      }
    });

    it('prints a table of positions, ids and tokens without --json', () => {
      const run = runCli(['tokenize', WORDPIECE, '--text', 'Ünïcode façade, 3.14!']);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^position\s+id\s+token$/);
      expect(lines[1]).toMatch(/^\s+0\s+1\s+\[BOS\]$/);
      expect(lines[2]).toMatch(/^\s+1\s+506\s+un$/);
      expect(lines.at(-1)).toBe('16 tokens (vocabulary 768)');
    });

    it('encodes empty text to [BOS] alone', () => {
      expect(tokenizeJson(WORDPIECE, '')).toEqual({ ids: [1], tokens: ['[BOS]'] });
    });
  },
);

describe('bilinear tokenize', () => {
  it('encodes with a byte-level BPE tokenizer as HF does', () => {
    const reference = JSON.parse(readFileSync(join(BYTE_LEVEL, 'reference.json'), 'utf8')) as Reference;
    const sample = reference.samples.find((s) => s.text.includes('\t')) as Reference['samples'][number];
    expect(tokenizeJson(join(BYTE_LEVEL, 'tokenizer.json'), sample.text)).toEqual({
      ids: sample.ids,
      tokens: sample.tokens,
    });
    const table = runCli(['tokenize', join(BYTE_LEVEL, 'tokenizer.json'), '--text', 'a b']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/\s+1\s+\d+\s+Ġb\n/);
  });

  it('exits 2 naming the file when it is missing, not JSON, or not a tokenizer', () => {
    const missing = join(directory.path, 'missing.json');
    expect(runCli(['tokenize', missing, '--text', 'x'])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `bilinear: ${missing}: no such file or directory\n`,
    });
    const broken = join(directory.path, 'broken.json');
    writeFileSync(broken, '{"model": ');
    const notJson = runCli(['tokenize', broken, '--text', 'x']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(new RegExp(`^bilinear: ${broken}: not JSON: `));
    const other = join(directory.path, 'other.json');
    writeFileSync(other, JSON.stringify({ model: { type: 'WordPice', vocab: {} } }));
    const notTokenizer = runCli(['tokenize', other, '--text', 'x']);
    expect(notTokenizer.code).toBe(2);
    expect(notTokenizer.stderr).toContain(`bilinear: ${other}: not a tokenizer HF tokenizers can load:`);
    expect(notTokenizer.stderr).toContain('(in "model", whose "type" is "WordPice"');
  });

  it('exits 2 without --text', () => {
    const run = runCli(['tokenize', join(BYTE_LEVEL, 'tokenizer.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("required option '--text <string>' not specified");
  });
});
