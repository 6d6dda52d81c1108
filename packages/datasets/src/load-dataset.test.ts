import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { datasetChecksum } from './dataset-checksum.js';
import { DatasetError } from './dataset-error.js';
import { encodeIdx } from './idx/encode-idx.js';
import { IDX_FILE_NAMES } from './idx/load-idx-dataset.js';
import { loadDataset } from './load-dataset.js';
import { loadBundledMnist } from './mnist/load-bundled-mnist.js';
import { generateToyTask } from './toy/generate-toy-task.js';

async function writeTinyIdx(dir: string, gzip: boolean): Promise<void> {
  const files = {
    trainImages: encodeIdx({
      type: 'ubyte',
      shape: [2, 2, 2],
      data: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 255]),
    }),
    trainLabels: encodeIdx({ type: 'ubyte', shape: [2], data: Uint8Array.from([7, 1]) }),
    testImages: encodeIdx({ type: 'ubyte', shape: [1, 2, 2], data: Uint8Array.from([9, 9, 9, 9]) }),
    testLabels: encodeIdx({ type: 'ubyte', shape: [1], data: Uint8Array.from([3]) }),
  };
  for (const [key, bytes] of Object.entries(files)) {
    const name = IDX_FILE_NAMES[key as keyof typeof files];
    await writeFile(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  }
}

describe('loadDataset', () => {
  it("loads the bundled digits for 'mnist'", async () => {
    const mnist = await loadDataset('mnist');
    expect(mnist).toBe(await loadBundledMnist());
  });

  it("generates the toy task for 'toy' (seed 0) and 'toy:<seed>'", async () => {
    const toy = await loadDataset('toy');
    expect(toy.name).toBe('toy:0');
    expect(toy.train.inputs).toEqual(generateToyTask({ seed: 0 }).train.inputs);
    const seeded = await loadDataset('toy:4294967295');
    expect(seeded.name).toBe('toy:4294967295');
    expect(seeded.test.targets).toEqual(generateToyTask({ seed: 4294967295 }).test.targets);
  });

  it("reads 'idx:<dir>', plain or gzipped, to the same contents", async () => {
    const plainDir = await mkdtemp(join(tmpdir(), 'bilinear-lab-spec-'));
    const gzipDir = await mkdtemp(join(tmpdir(), 'bilinear-lab-spec-'));
    try {
      await writeTinyIdx(plainDir, false);
      await writeTinyIdx(gzipDir, true);
      const plain = await loadDataset(`idx:${plainDir}`);
      const gzipped = await loadDataset(`idx:${gzipDir}`);
      expect(plain.name).toBe(`idx:${plainDir}`);
      expect(Array.from(plain.train.labels ?? [])).toEqual([7, 1]);
      expect(plain.imageShape).toEqual([2, 2]);
      expect(datasetChecksum(gzipped)).toBe(datasetChecksum(plain));
    } finally {
      await rm(plainDir, { recursive: true, force: true });
      await rm(gzipDir, { recursive: true, force: true });
    }
  });

  it('takes a parsed spec as well as its text', async () => {
    expect(await loadDataset({ kind: 'mnist' })).toBe(await loadBundledMnist());
    expect((await loadDataset({ kind: 'toy', seed: 5 })).name).toBe('toy:5');
  });

  it('refuses anything else, and uploads, listing the forms it reads', async () => {
    for (const spec of [
      '',
      'MNIST',
      'fashion',
      'idx:',
      'toy:',
      'toy:x',
      'toy:-1',
      'toy:1.5',
      'toy:4294967296',
      ' toy',
      'dataset:3f2b8c1e-9a4d-4e7f-8b21-0c5d6e7f8a9b',
    ]) {
      const error = await loadDataset(spec).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DatasetError);
      expect((error as DatasetError).code).toBe('unknown-dataset');
      expect((error as DatasetError).message).toContain(`'${spec}'`);
      expect((error as DatasetError).message).toMatch(
        /: expected one of 'mnist' \(.+\), 'idx:<dir>' \(.+\), 'toy\[:<seed>\]' \(.+\)$/,
      );
    }
  });
});
