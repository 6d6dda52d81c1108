import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Large inputs reach a reference as files (a matrix, a layer, a model): a scratch folder that lives
// as long as the callback, and the raw float64 layout numpy reads with np.fromfile(dtype='<f8').

/** Runs `work` with a fresh temporary folder, removed afterwards whatever happens. */
export async function withScratchDirectory<T>(work: (directory: string) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), 'bilinear-bench-'));
  try {
    return await work(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** `values` as raw little-endian float64, whatever this machine's byte order. */
export function float64Bytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i] as number, true);
  return bytes;
}
