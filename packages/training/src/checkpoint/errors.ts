export type CheckpointErrorCode =
  /** The model configuration is malformed or inconsistent. */
  | 'invalid-config'
  /** A tensor the layout (or the optimiser state) needs is absent. */
  | 'missing-tensor'
  /** A tensor the layout has no place for. */
  | 'unexpected-tensor'
  | 'wrong-shape'
  /** A weight stored as something other than a float. */
  | 'wrong-dtype'
  | 'non-finite'
  /** The `__metadata__` JSON is absent where required, or malformed. */
  | 'invalid-metadata'
  /** Values handed to a writer that cannot be stored as given (names, lengths, non-JSON options). */
  | 'invalid-input';

/** Anything wrong with a model file or training checkpoint, or with what is handed to the writers. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  readonly code: CheckpointErrorCode;
  /** The tensor at fault, when one is. */
  readonly tensor: string | undefined;

  constructor(code: CheckpointErrorCode, message: string, tensor?: string) {
    super(message);
    this.code = code;
    this.tensor = tensor;
  }
}
