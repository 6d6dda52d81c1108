// Inflates a gzipped IDX file without trusting the gzip stream: a few hundred KB of gzip can expand to
// gigabytes (a "gzip bomb"), and a buffered gunzip would hold all of it before anything could look.
// The header arrives in the first decompressed bytes and says exactly how long the file is, so the
// inflater is stopped as soon as the output passes that length, and a header that promises more than
// the caller allows is refused before its data is inflated at all.
import { createGunzip } from 'node:zlib';
import { DatasetError } from '../dataset-error.js';
import { fileError, type IdxHeader, parseIdxHeader } from './parse-idx.js';

// Output chunks of 1 MiB: few enough events for a 50 MB file, little overshoot past the promise.
const CHUNK_BYTES = 1 << 20;

/**
 * The decompressed IDX file, at most `maxBytes` long and never longer than its header promises (a
 * stream that goes on is refused as trailing data; one that stops short is returned as it is, for
 * parseIdx to call truncated). Throws DatasetError naming `file`.
 */
export async function gunzipIdx(bytes: Uint8Array, file: string, maxBytes: number): Promise<Uint8Array> {
  const inflater = createGunzip({ chunkSize: CHUNK_BYTES });
  inflater.end(bytes);
  const head: Buffer[] = [];
  let headLength = 0;
  let header: IdxHeader | null = null;
  let out: Uint8Array | null = null;
  let length = 0;
  try {
    // Leaving the loop (a throw included) destroys the inflater: nothing more is inflated.
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      if (out === null) {
        head.push(chunk);
        headLength += chunk.length;
        const start = Buffer.concat(head, headLength);
        header = headerOf(start, file);
        if (header === null) continue;
        const promised = header.dataStart + header.dataBytes;
        if (promised > maxBytes) throw tooLarge(file, header, promised, maxBytes);
        out = new Uint8Array(promised);
        head.length = 0;
        length = append(out, 0, start, file, header);
        continue;
      }
      length = append(out, length, chunk, file, header);
    }
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    throw fileError('corrupt-gzip', file, `does not decompress (${(error as Error).message})`);
  }
  return out === null ? Buffer.concat(head, headLength) : out.subarray(0, length);
}

/** The header once `start` holds all of it (null before); throws on a wrong magic at once. */
function headerOf(start: Uint8Array, file: string): IdxHeader | null {
  if (start.length < 4) return null;
  if (start[0] !== 0 || start[1] !== 0 || start.length >= 4 + 4 * (start[3] ?? 0)) {
    return parseIdxHeader(start, file);
  }
  return null;
}

function append(out: Uint8Array, at: number, chunk: Uint8Array, file: string, header: IdxHeader | null) {
  if (at + chunk.length > out.length) {
    throw fileError(
      'trailing-data',
      file,
      `decompresses to more than the ${out.length} bytes its header promises` +
        `${header ? ` (${describe(header)})` : ''}; decompression was stopped there`,
    );
  }
  out.set(chunk, at);
  return at + chunk.length;
}

function tooLarge(file: string, header: IdxHeader, promised: number, maxBytes: number) {
  return fileError(
    'too-large',
    file,
    `its header promises ${describe(header)}, ${megabytes(promised)} once decompressed, more than the ` +
      `${megabytes(maxBytes)} allowed for this dataset's decompressed files`,
  );
}

function describe(header: IdxHeader): string {
  return `dimensions ${header.shape.join('×') || 'none'} of ${header.type}`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 1)} MB`;
}
