export type SafetensorsErrorCode =
  /** Fewer than 8 bytes, so not even the header length is there. */
  | 'truncated'
  /** The header length runs past the end of the file (or past the 100 MB the reference allows). */
  | 'header-too-large'
  /** The header is not UTF-8 JSON. */
  | 'invalid-json'
  /** The JSON has the wrong structure: not an object, missing fields, a bad shape, non-string metadata. */
  | 'invalid-header'
  | 'unknown-dtype'
  /** shape × dtype size differs from the byte length the offsets give (or from the data given to write). */
  | 'shape-mismatch'
  /** data_offsets run backwards or past the end of the byte buffer. */
  | 'offsets-out-of-range'
  /** Two tensors share bytes. */
  | 'offsets-overlap'
  /** Bytes of the buffer that no tensor covers (the format forbids holes, to rule out polyglot files). */
  | 'offsets-gap'
  | 'non-finite'
  /** The dtype is known, and listed by parseSafetensors, but has no float64 reading (C64, F8, F6, F4). */
  | 'unsupported-dtype-for-decode'
  | 'unsupported-dtype-for-write'
  /** decodeTensor was asked for a name the file does not hold. */
  | 'tensor-not-found';

/** Anything wrong with a safetensors file, or with tensors handed to the writer. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  readonly code: SafetensorsErrorCode;
  /** The tensor at fault, when one is. */
  readonly tensor: string | undefined;

  constructor(code: SafetensorsErrorCode, message: string, tensor?: string) {
    super(message);
    this.code = code;
    this.tensor = tensor;
  }
}
