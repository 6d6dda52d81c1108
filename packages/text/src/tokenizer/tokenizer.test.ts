// Encodings against ids HF `tokenizers` (python 0.23) computed: the WordPiece fixture of
// ../shared/fixtures/lm, and the byte-level BPE of testdata/byte-level-bpe (its make.py).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTokenizer, readTokenizerFile, Tokenizer } from './tokenizer.js';
import { TokenizerError } from './tokenizer-error.js';

const LM_FIXTURES = new URL('../../../../../shared/fixtures/lm/', import.meta.url);
const WORDPIECE = new URL('tokenizer.json', LM_FIXTURES);
const WORDPIECE_REFERENCE = new URL('tokenizer.reference.json', LM_FIXTURES);
const HAS_WORDPIECE = existsSync(WORDPIECE) && existsSync(WORDPIECE_REFERENCE);
const BYTE_LEVEL = new URL('../../testdata/byte-level-bpe/', import.meta.url);

interface Reference {
  vocab_size: number;
  samples: { text: string; ids: number[]; tokens?: string[] }[];
}

const readJson = <T>(url: URL): T => JSON.parse(readFileSync(url, 'utf8')) as T;

describe.skipIf(!HAS_WORDPIECE)(
  HAS_WORDPIECE
    ? 'the WordPiece fixture (reference recipe) against HF tokenizers'
    : 'the WordPiece fixture (skipped: ../shared/fixtures/lm is absent here)',
  () => {
    const reference = () => readJson<Reference>(WORDPIECE_REFERENCE);
    const tokenizer = () => readTokenizerFile(WORDPIECE.pathname);

    it('gives HF’s ids on every sample, [BOS] first', async () => {
      const loaded = await tokenizer();
      const { samples } = reference();
      expect(samples.length).toBeGreaterThanOrEqual(10);
      for (const sample of samples) {
        const encoding = await loaded.encode(sample.text);
        expect(encoding.ids).toBeInstanceOf(Int32Array);
        expect([...encoding.ids], sample.text).toEqual(sample.ids);
        expect(encoding.tokens[0]).toBe('[BOS]');
        expect(encoding.tokens.map((token) => loaded.tokenToId(token))).toEqual(sample.ids);
      }
    });

    it('knows its size and special tokens', async () => {
      const loaded = await tokenizer();
      expect(loaded.vocabSize).toBe(reference().vocab_size);
      expect(loaded.special).toEqual({ unk: 0, bos: 1, eos: 2, pad: null });
      expect(loaded.idToToken(1)).toBe('[BOS]');
      expect(loaded.tokenToId('no such token')).toBeNull();
      expect(loaded.idToToken(loaded.vocabSize)).toBeNull();
    });

    it('encodes in batches as one by one, and without the post-processor when asked', async () => {
      const loaded = await tokenizer();
      const texts = reference().samples.map((sample) => sample.text);
      const batch = await loaded.encodeBatch(texts);
      for (const [i, text] of texts.entries()) expect(batch[i]).toEqual(await loaded.encode(text));
      const bare = await loaded.encode(texts[0] as string, { addSpecialTokens: false });
      expect([...bare.ids]).toEqual(reference().samples[0]?.ids.slice(1));
    });

    it('decodes to text that encodes to the same ids (normalised: lower case, no accents)', async () => {
      const loaded = await tokenizer();
      for (const sample of reference().samples) {
        const text = await loaded.decode(sample.ids);
        expect(text.startsWith('[BOS]')).toBe(false);
        expect([...(await loaded.encode(text)).ids], text).toEqual(sample.ids);
      }
      expect(await loaded.decode([1, 506, 132, 253, 90])).toBe('unicode');
      expect(await loaded.decode(new Int32Array([1, 506]), { skipSpecialTokens: false })).toBe('[BOS] un');
    });

    it('accepts the parsed object as well as the text', async () => {
      const text = readFileSync(WORDPIECE, 'utf8');
      const fromObject = loadTokenizer(JSON.parse(text) as object);
      const sample = reference().samples[1] as Reference['samples'][number];
      expect([...(await fromObject.encode(sample.text)).ids]).toEqual(sample.ids);
    });
  },
);

describe('a byte-level BPE tokenizer (GPT-2 style) against HF tokenizers', () => {
  const reference = readJson<Reference>(new URL('reference.json', BYTE_LEVEL));
  const loaded = () => loadTokenizer(readFileSync(new URL('tokenizer.json', BYTE_LEVEL), 'utf8'));

  it('gives HF’s ids and tokens on every sample', async () => {
    const tokenizer = loaded();
    expect(tokenizer.vocabSize).toBe(reference.vocab_size);
    for (const sample of reference.samples) {
      const encoding = await tokenizer.encode(sample.text);
      expect([...encoding.ids], sample.text).toEqual(sample.ids);
      expect(encoding.tokens).toEqual(sample.tokens);
    }
  });

  it('decodes every sample back to its text, byte for byte (the special token dropped)', async () => {
    const tokenizer = loaded();
    expect(tokenizer.special).toMatchObject({ eos: 0, unk: null });
    for (const sample of reference.samples) {
      const decoded = await tokenizer.decode(sample.ids);
      // The prefix space the pre-tokenizer adds comes back; the special token does not.
      expect(decoded.replace(/^ /, '')).toBe(sample.text.replace('<|endoftext|>', ''));
    }
  });
});

describe('a malformed tokenizer.json is refused, saying what and where', () => {
  const valid = () => readJson<Record<string, unknown>>(new URL('tokenizer.json', BYTE_LEVEL));
  const refusal = (json: string | object, source?: string): TokenizerError => {
    try {
      loadTokenizer(json, source);
    } catch (error) {
      expect(error).toBeInstanceOf(TokenizerError);
      return error as TokenizerError;
    }
    throw new Error('loaded a malformed tokenizer');
  };

  it('text that is not JSON', () => {
    const error = refusal('{"version": "1.0", "model": ', 'broken.json');
    expect(error.code).toBe('not-json');
    expect(error.message).toMatch(/^broken\.json: not JSON: /);
  });

  it('JSON that is not an object', () => {
    const error = refusal('[1, 2]', 'list.json');
    expect(error.code).toBe('not-json');
    expect(error.message).toBe('list.json: a tokenizer.json holds one JSON object, not an array');
  });

  it('no model (e.g. some other JSON file)', () => {
    const error = refusal('{"name": "bilinear-lab", "private": true}', 'package.json');
    expect(error.code).toBe('invalid-tokenizer');
    expect(error.message).toMatch(/^package\.json: not a tokenizer\.json: it has no "model"/);
  });

  it('an unknown model type: the section, the type and the line', () => {
    const json = valid();
    json.model = { ...(json.model as object), type: 'WordPice' };
    const error = refusal(json, 'typo.json');
    expect(error.code).toBe('invalid-tokenizer');
    expect(error.message).toMatch(/^typo\.json: .*untagged enum ModelUntagged at line \d+ column \d+/);
    expect(error.message).toContain('(in "model", whose "type" is "WordPice"');
  });

  it('an unknown normalizer type', () => {
    const json = { ...valid(), normalizer: { type: 'NFX' } };
    expect(refusal(json).message).toContain('(in "normalizer", whose "type" is "NFX"');
  });

  it('a vocabulary entry that is not an id: the line and column in the file as given', () => {
    const text = JSON.stringify(valid(), null, 2).replace('"!": 1,', '"!": "one",');
    const error = refusal(text, 'vocab.json');
    expect(error.message).toMatch(
      /^vocab\.json: .*invalid type: string "one", expected u32 at line \d+ column \d+/,
    );
  });

  it('an added token without content', () => {
    const json = { ...valid(), added_tokens: [{ id: 0 }] };
    expect(refusal(json).message).toMatch(/missing field `content` at line \d+ column \d+/);
  });

  it('Tokenizer.fromJson is the same door', () => {
    expect(() => Tokenizer.fromJson('nope')).toThrow(/^tokenizer\.json: not JSON/);
  });
});
