// The reference recipe (tdooms/bilinear-interp, _old/utils/tokenizers.py) as the tokenizer.json HF
// `tokenizers` 0.23 writes for it: lower-cased, NFD + strip accents; punctuation, whitespace, single
// digits; `[BOS] $A`; specials [UNK] [BOS] [EOS] = 0, 1, 2; a WordPiece decoder joining `##` pieces.
// Training reads its normalizer and pre-tokenizer from this same JSON, so words are counted exactly as
// the written tokenizer will split them.

export const WORDPIECE_SPECIAL_TOKENS = ['[UNK]', '[BOS]', '[EOS]'] as const;
export const CONTINUING_SUBWORD_PREFIX = '##';

/** The tokenizer.json object for the recipe; `vocabulary[i]` is token i (the specials first). */
export function wordPieceRecipeJson(vocabulary: readonly string[]): Record<string, unknown> {
  const [unk, bos] = WORDPIECE_SPECIAL_TOKENS;
  const vocab: Record<string, number> = {};
  vocabulary.forEach((token, id) => {
    vocab[token] = id;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: WORDPIECE_SPECIAL_TOKENS.map((content) => ({
      id: vocabulary.indexOf(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Punctuation', behavior: 'Isolated' },
        { type: 'Whitespace' },
        { type: 'Digits', individual_digits: true },
      ],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { [bos]: { id: bos, ids: [vocabulary.indexOf(bos)], tokens: [bos] } },
    },
    decoder: { type: 'WordPiece', prefix: CONTINUING_SUBWORD_PREFIX, cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: unk,
      continuing_subword_prefix: CONTINUING_SUBWORD_PREFIX,
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** The text HF writes for a tokenizer.json (`Tokenizer.save`, pretty): two-space indents, a final brace. */
export function formatTokenizerJson(json: Record<string, unknown>): string {
  return JSON.stringify(json, null, 2);
}
