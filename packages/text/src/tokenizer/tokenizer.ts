import { readFile } from 'node:fs/promises';
// HF's own Rust `tokenizers` through its official Node bindings: encodings are HF's by construction
// (normalizers, pre-tokenizers, models, post-processors, decoders), and the npm tarball carries the
// prebuilt binaries for every platform, with no install script, so `npm ci` works offline.
// The pure-JS `@huggingface/tokenizers` 0.2 was measured against tokenizer.reference.json and fails 5
// of its 10 samples: its Punctuation pre-tokenizer keeps runs like "://" or "/*" together.
import { Tokenizer as HfTokenizer } from 'tokenizers';
import { TokenizerError } from './tokenizer-error.js';

/** One encoded text: ids as a typed array, and the token strings beside them. */
export interface Encoding {
  readonly ids: Int32Array;
  readonly tokens: readonly string[];
}

export interface EncodeOptions {
  /** Apply the post-processor (e.g. `[BOS] $A`); default true, as in HF. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens ([BOS], [UNK], …) from the text; default true, as in HF's python `decode`. */
  skipSpecialTokens?: boolean;
}

/** Ids of the conventional special tokens, null where the vocabulary has none. */
export interface SpecialTokenIds {
  readonly unk: number | null;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly pad: number | null;
}

// Conventional spellings, tried in order; the model's own unk_token comes first for unk.
const SPECIAL_SPELLINGS: Record<keyof SpecialTokenIds, readonly string[]> = {
  unk: ['[UNK]', '<unk>', '<|unk|>'],
  bos: ['[BOS]', '<s>', '<bos>', '<|startoftext|>', '<|begin_of_text|>'],
  eos: ['[EOS]', '</s>', '<eos>', '<|endoftext|>', '<|end_of_text|>'],
  pad: ['[PAD]', '<pad>', '<|pad|>'],
};

// HF names the section of a tokenizer.json in its error only by the Rust type that failed to parse.
const SECTION_OF_TYPE: Record<string, string> = {
  Model: 'model',
  Normalizer: 'normalizer',
  PreTokenizer: 'pre_tokenizer',
  PostProcessor: 'post_processor',
  Decoder: 'decoder',
};

/** A tokenizer loaded from an HF tokenizer.json; it encodes and decodes exactly as HF `tokenizers` does. */
export class Tokenizer {
  /** Size of the vocabulary, added tokens included (the width an embedding needs). */
  readonly vocabSize: number;
  readonly special: SpecialTokenIds;
  readonly #hf: HfTokenizer;

  private constructor(hf: HfTokenizer, unkToken: string | undefined) {
    this.#hf = hf;
    this.vocabSize = hf.getVocabSize(true);
    const find = (kind: keyof SpecialTokenIds, first?: string): number | null => {
      for (const token of first === undefined
        ? SPECIAL_SPELLINGS[kind]
        : [first, ...SPECIAL_SPELLINGS[kind]]) {
        const id = hf.tokenToId(token);
        if (id !== null) return id;
      }
      return null;
    };
    this.special = { unk: find('unk', unkToken), bos: find('bos'), eos: find('eos'), pad: find('pad') };
  }

  /**
   * Parses a tokenizer.json (its text, or the parsed object). `source` names it in error messages.
   * Throws TokenizerError ('not-json' or 'invalid-tokenizer') saying what is wrong and where.
   */
  static fromJson(json: string | object, source = 'tokenizer.json'): Tokenizer {
    const text = typeof json === 'string' ? json : JSON.stringify(json, null, 2);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new TokenizerError('not-json', `${source}: not JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new TokenizerError(
        'not-json',
        `${source}: a tokenizer.json holds one JSON object, not ${describe(parsed)}`,
      );
    }
    if (!('model' in parsed)) {
      // HF's own message for, say, a package.json is a parse error at its second line.
      throw new TokenizerError(
        'invalid-tokenizer',
        `${source}: not a tokenizer.json: it has no "model" (HF tokenizers files hold version, normalizer, ` +
          'pre_tokenizer, model, …)',
      );
    }
    let hf: HfTokenizer;
    try {
      hf = HfTokenizer.fromString(text);
    } catch (error) {
      throw new TokenizerError(
        'invalid-tokenizer',
        `${source}: not a tokenizer HF tokenizers can load: ${(error as Error).message}${sectionHint(error, parsed)}`,
        { cause: error },
      );
    }
    const model = (parsed as { model?: { unk_token?: unknown } }).model;
    return new Tokenizer(hf, typeof model?.unk_token === 'string' ? model.unk_token : undefined);
  }

  async encode(text: string, options: EncodeOptions = {}): Promise<Encoding> {
    const encoding = await this.#hf.encode(text, null, {
      addSpecialTokens: options.addSpecialTokens ?? true,
    });
    return { ids: Int32Array.from(encoding.getIds()), tokens: encoding.getTokens() };
  }

  /** Encodes many texts at once (HF spreads them over its threads). */
  async encodeBatch(texts: readonly string[], options: EncodeOptions = {}): Promise<Encoding[]> {
    const encodings = await this.#hf.encodeBatch([...texts], {
      addSpecialTokens: options.addSpecialTokens ?? true,
    });
    return encodings.map((encoding) => ({
      ids: Int32Array.from(encoding.getIds()),
      tokens: encoding.getTokens(),
    }));
  }

  /** Text for ids, through the tokenizer's decoder (WordPiece joins `##` pieces; byte-level BPE undoes bytes). */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): Promise<string> {
    return this.#hf.decode(Array.from(ids), options.skipSpecialTokens ?? true);
  }

  tokenToId(token: string): number | null {
    return this.#hf.tokenToId(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.#hf.idToToken(id) ?? null;
  }
}

/** A tokenizer from a tokenizer.json's text or parsed object; see Tokenizer.fromJson. */
export function loadTokenizer(json: string | object, source?: string): Tokenizer {
  return Tokenizer.fromJson(json, source);
}

/** Reads and loads a tokenizer.json file; file-system errors pass through (ENOENT, …) for the caller to word. */
export async function readTokenizerFile(path: string): Promise<Tokenizer> {
  return Tokenizer.fromJson(await readFile(path, 'utf8'), path);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}

/** For HF's "did not match any variant of untagged enum ModelUntagged": which section, and its "type". */
function sectionHint(error: unknown, parsed: object): string {
  const match = /untagged enum (Model|Normalizer|PreTokenizer|PostProcessor|Decoder)/.exec(
    (error as Error).message ?? '',
  );
  const section = match?.[1] === undefined ? undefined : SECTION_OF_TYPE[match[1]];
  if (section === undefined) return '';
  const value = (parsed as Record<string, unknown>)[section];
  const type = (value as { type?: unknown } | null)?.type;
  return typeof type === 'string'
    ? ` (in "${section}", whose "type" is ${JSON.stringify(type)}: unknown, or its fields do not fit that type)`
    : ` (in "${section}", which has no "type")`;
}
