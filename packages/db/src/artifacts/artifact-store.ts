// Where uploaded datasets and checkpoints live. Every API replica and worker, on any host, reaches
// them through this interface; the Postgres implementation needs no shared file system, and an
// S3-compatible store could implement the same five methods.

export interface ArtifactInfo {
  id: string;
  kind: string;
  fileName: string;
  contentType: string;
  byteLength: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
  createdAt: Date;
}

export interface PutArtifactOptions {
  /** What the bytes are, e.g. "checkpoint", "idx". */
  kind: string;
  fileName: string;
  contentType?: string;
  /** Reject (and remove what was written) once the content passes this many bytes. */
  maxBytes?: number;
}

export type ArtifactSource = Uint8Array<ArrayBuffer> | AsyncIterable<Uint8Array>;

export interface ArtifactStore {
  /** Stores the content; visible to readers only once complete. Nothing stays behind on failure. */
  put(source: ArtifactSource, options: PutArtifactOptions): Promise<ArtifactInfo>;
  /** Null when there is no complete artifact with this id. */
  info(id: string): Promise<ArtifactInfo | null>;
  /** The content in order, chunk by chunk, verified against its SHA-256 at the end. */
  stream(id: string): AsyncIterable<Uint8Array>;
  /** The whole content in memory, verified. */
  read(id: string): Promise<Uint8Array>;
  delete(id: string): Promise<void>;
}

export type ArtifactErrorCode = 'not-found' | 'too-large' | 'corrupt';

export class ArtifactError extends Error {
  override name = 'ArtifactError';
  constructor(
    readonly code: ArtifactErrorCode,
    message: string,
  ) {
    super(message);
  }
}
