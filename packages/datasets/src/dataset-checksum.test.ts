import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset.js';
import { datasetChecksum } from './dataset-checksum.js';
import { generateToyTask } from './toy/generate-toy-task.js';

function tiny(): Dataset {
  return {
    name: 'tiny',
    kind: 'classification',
    inputDim: 2,
    outputDim: 3,
    imageShape: null,
    train: {
      count: 2,
      inputs: Float32Array.from([0, 0.5, 1, 0.25]),
      labels: Uint8Array.from([2, 0]),
      targets: null,
    },
    test: { count: 1, inputs: Float32Array.from([0.75, 1]), labels: Uint8Array.from([1]), targets: null },
  };
}

describe('datasetChecksum', () => {
  it('hashes the documented byte layout', () => {
    // Built by hand: float32 little-endian via Buffer.writeFloatLE, not through the typed arrays.
    const floats = (values: number[]) => {
      const buffer = Buffer.alloc(values.length * 4);
      for (const [i, v] of values.entries()) buffer.writeFloatLE(v, i * 4);
      return buffer;
    };
    const expected = createHash('sha256')
      .update('train 2 2 3 classification\n')
      .update(floats([0, 0.5, 1, 0.25]))
      .update(Buffer.from([2, 0]))
      .update('test 1 2 3 classification\n')
      .update(floats([0.75, 1]))
      .update(Buffer.from([1]))
      .digest('hex');
    expect(datasetChecksum(tiny())).toBe(expected);
    expect(datasetChecksum(tiny())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores the name and sees every value', () => {
    const base = datasetChecksum(tiny());
    expect(datasetChecksum({ ...tiny(), name: 'other' })).toBe(base);
    const changedPixel = tiny();
    changedPixel.test.inputs[1] = 0.999;
    expect(datasetChecksum(changedPixel)).not.toBe(base);
    const changedLabel = tiny();
    (changedLabel.train.labels ?? new Uint8Array(1))[0] = 1;
    expect(datasetChecksum(changedLabel)).not.toBe(base);
    // Moving a sample from train to test changes the split headers, so the hash, even with equal bytes.
    const moved: Dataset = {
      ...tiny(),
      train: { count: 1, inputs: Float32Array.from([0, 0.5]), labels: Uint8Array.from([2]), targets: null },
      test: {
        count: 2,
        inputs: Float32Array.from([1, 0.25, 0.75, 1]),
        labels: Uint8Array.from([0, 1]),
        targets: null,
      },
    };
    expect(datasetChecksum(moved)).not.toBe(base);
  });

  it('follows the toy seed and covers the targets', () => {
    const a = generateToyTask({ seed: 1, count: 64 });
    expect(datasetChecksum(generateToyTask({ seed: 1, count: 64 }))).toBe(datasetChecksum(a));
    expect(datasetChecksum(generateToyTask({ seed: 2, count: 64 }))).not.toBe(datasetChecksum(a));
    const flipped = generateToyTask({ seed: 1, count: 64 });
    const targets = flipped.test.targets ?? new Float32Array(1);
    targets[5] = 1 - (targets[5] ?? 0);
    expect(datasetChecksum(flipped)).not.toBe(datasetChecksum(a));
  });
});
