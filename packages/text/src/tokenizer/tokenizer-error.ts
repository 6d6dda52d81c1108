export type TokenizerErrorCode =
  /** The text is not JSON, or not a JSON object. */
  | 'not-json'
  /** JSON that HF `tokenizers` refuses as a tokenizer.json (a missing model, an unknown type, a bad vocab, …). */
  | 'invalid-tokenizer'
  /** A training corpus with no words in it. */
  | 'empty-corpus'
  /** A training corpus the corpus reader refuses (a malformed jsonl record, an overlong line). */
  | 'invalid-corpus'
  /** Training options out of range (a vocabulary smaller than the specials and the alphabet, …). */
  | 'invalid-option';

/** Anything wrong with a tokenizer file or a training input; the message says what and where. */
export class TokenizerError extends Error {
  override readonly name = 'TokenizerError';
  readonly code: TokenizerErrorCode;

  constructor(code: TokenizerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
