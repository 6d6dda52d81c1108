import { createHash } from 'node:crypto';
import type { Dataset, Split } from './dataset.js';

/**
 * sha256 (hex) over a dataset's contents, for provenance: for the train then the test split, a line
 * `<split> <count> <inputDim> <outputDim> <kind>\n`, then the inputs as float32 little-endian bytes, then
 * the labels (uint8) or the targets (float32 little-endian). The name is left out, so the same data read
 * from two places has one checksum.
 */
export function datasetChecksum(dataset: Dataset): string {
  const hash = createHash('sha256');
  for (const [name, split] of [
    ['train', dataset.train],
    ['test', dataset.test],
  ] as const) {
    hash.update(`${name} ${split.count} ${dataset.inputDim} ${dataset.outputDim} ${dataset.kind}\n`);
    for (const array of splitArrays(split)) hash.update(littleEndianBytes(array));
  }
  return hash.digest('hex');
}

function splitArrays(split: Split): (Float32Array | Uint8Array)[] {
  const arrays: (Float32Array | Uint8Array)[] = [split.inputs];
  if (split.labels !== null) arrays.push(split.labels);
  if (split.targets !== null) arrays.push(split.targets);
  return arrays;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(array: Float32Array | Uint8Array): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  if (LITTLE_ENDIAN || array.BYTES_PER_ELEMENT === 1) return bytes;
  const swapped = new Uint8Array(bytes.length);
  const view = new DataView(swapped.buffer);
  for (let i = 0; i < array.length; i++) view.setFloat32(i * 4, array[i] ?? 0, true);
  return swapped;
}
