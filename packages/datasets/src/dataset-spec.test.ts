import { describe, expect, it } from 'vitest';
import { DatasetError } from './dataset-error.js';
import {
  type DatasetSpec,
  type DatasetSpecKind,
  formatDatasetSpec,
  LOCAL_DATASET_KINDS,
  PLATFORM_DATASET_KINDS,
  parseDatasetSpec,
} from './dataset-spec.js';

const EVERY_KIND: readonly DatasetSpecKind[] = ['mnist', 'upload', 'idx', 'toy'];
const ID = '3f2b8c1e-9a4d-4e7f-8b21-0c5d6e7f8a9b';

function parseError(text: string, allow: readonly DatasetSpecKind[] = EVERY_KIND): DatasetError {
  try {
    parseDatasetSpec(text, { allow });
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return error as DatasetError;
  }
  throw new Error(`'${text}' parsed`);
}

describe('parseDatasetSpec and formatDatasetSpec', () => {
  // Written by hand: the texts the platform stores and the CLI records, and the specs they name.
  const cases: [string, DatasetSpec][] = [
    ['mnist', { kind: 'mnist' }],
    [`dataset:${ID}`, { kind: 'upload', id: ID }],
    [`dataset:${ID.toUpperCase()}`, { kind: 'upload', id: ID.toUpperCase() }],
    ['idx:/data/fashion', { kind: 'idx', dir: '/data/fashion' }],
    ['idx:relative dir/with:colon', { kind: 'idx', dir: 'relative dir/with:colon' }],
    ['toy:0', { kind: 'toy', seed: 0 }],
    ['toy:7', { kind: 'toy', seed: 7 }],
    ['toy:4294967295', { kind: 'toy', seed: 4294967295 }],
  ];

  it.each(cases)('%s round-trips', (text, spec) => {
    expect(parseDatasetSpec(text, { allow: EVERY_KIND })).toEqual(spec);
    expect(formatDatasetSpec(spec)).toBe(text);
    expect(parseDatasetSpec(formatDatasetSpec(spec), { allow: [spec.kind] })).toEqual(spec);
  });

  it("reads the shorthands 'toy' (seed 0) and zero-padded seeds, and writes them in full", () => {
    expect(parseDatasetSpec('toy', { allow: ['toy'] })).toEqual({ kind: 'toy', seed: 0 });
    expect(formatDatasetSpec(parseDatasetSpec('toy', { allow: ['toy'] }))).toBe('toy:0');
    expect(formatDatasetSpec(parseDatasetSpec('toy:007', { allow: ['toy'] }))).toBe('toy:7');
  });

  it.each([
    ['', 'the text is empty'],
    ['MNIST ', 'it starts or ends with white space'],
    [' toy', 'it starts or ends with white space'],
    ['idx:/data ', 'it starts or ends with white space'],
    ['MNIST', "write it 'mnist'"],
    ['Toy:3', "write it 'toy:3'"],
    ['IDX:/Data', "write it 'idx:/Data'"],
    ['dataset:', "no id after 'dataset:'"],
    ['dataset:not-a-uuid', "the id 'not-a-uuid' after 'dataset:' is not a UUID"],
    [`dataset:${ID}0`, `the id '${ID}0' after 'dataset:' is not a UUID`],
    ['idx:', "no directory after 'idx:'"],
    ['toy:', "no seed after 'toy:'"],
    ['toy:abc', "the seed 'abc' after 'toy:' is not a whole number in 0..4294967295"],
    ['toy:-1', "the seed '-1' after 'toy:' is not a whole number in 0..4294967295"],
    ['toy:1.5', "the seed '1.5' after 'toy:' is not a whole number in 0..4294967295"],
    ['toy:4294967296', "the seed '4294967296' after 'toy:' is not a whole number in 0..4294967295"],
  ])('rejects %j, saying what is wrong where', (text, problem) => {
    const error = parseError(text);
    expect(error.code).toBe('unknown-dataset');
    expect(error.message).toBe(
      `unknown dataset '${text}' (${problem}): expected one of ` +
        "'mnist' (the 10000 bundled digits, 8000 train / 2000 test), " +
        "'dataset:<uuid>' (an IDX dataset uploaded to the platform), " +
        "'idx:<dir>' (a directory of MNIST-layout IDX files, plain or .gz), " +
        "'toy[:<seed>]' (the toy boolean task, seed a whole number in 0..4294967295, default 0)",
    );
  });

  it('rejects a text of no known form, listing only the forms the caller accepts', () => {
    for (const text of ['cifar', 'mnist:1', 'toys', 'dataset', 'uploads:x']) {
      const error = parseError(text, LOCAL_DATASET_KINDS);
      expect(error.code).toBe('unknown-dataset');
      expect(error.message).toBe(
        `unknown dataset '${text}': expected one of 'mnist' (the 10000 bundled digits, 8000 train / 2000 test), ` +
          "'idx:<dir>' (a directory of MNIST-layout IDX files, plain or .gz), " +
          "'toy[:<seed>]' (the toy boolean task, seed a whole number in 0..4294967295, default 0)",
      );
    }
  });

  it('refuses kinds the caller does not allow, naming what the text is and what is accepted', () => {
    const upload = parseError(`dataset:${ID}`, LOCAL_DATASET_KINDS);
    expect(upload.code).toBe('unknown-dataset');
    expect(upload.message).toBe(
      `dataset 'dataset:${ID}' (an IDX dataset uploaded to the platform) cannot be used here: expected one of ` +
        "'mnist' (the 10000 bundled digits, 8000 train / 2000 test), " +
        "'idx:<dir>' (a directory of MNIST-layout IDX files, plain or .gz), " +
        "'toy[:<seed>]' (the toy boolean task, seed a whole number in 0..4294967295, default 0)",
    );
    for (const text of ['idx:/data', 'toy', 'toy:3']) {
      const local = parseError(text, PLATFORM_DATASET_KINDS);
      expect(local.message).toMatch(
        new RegExp(`^dataset '${text}' \\(.+\\) cannot be used here: expected one of `),
      );
      expect(local.message).toMatch(
        /expected one of 'mnist' \([^)]+\), 'dataset:<uuid>' \(an IDX dataset uploaded to the platform\)$/,
      );
    }
    expect(parseError('mnist', ['upload']).message).toContain(
      "cannot be used here: expected one of 'dataset:<uuid>'",
    );
  });

  it('narrows the result to the allowed kinds', () => {
    const spec = parseDatasetSpec(`dataset:${ID}`, { allow: PLATFORM_DATASET_KINDS });
    // A type-level check: `idx` is not among the kinds the platform accepts.
    // @ts-expect-error 'idx' is not a PlatformDatasetSpec kind
    expect(spec.kind === 'idx').toBe(false);
    expect(spec.kind === 'upload' ? spec.id : null).toBe(ID);
  });

  it('refuses to write a spec that no text reads back as', () => {
    for (const spec of [
      { kind: 'upload', id: 'not-a-uuid' },
      { kind: 'idx', dir: '' },
      { kind: 'idx', dir: '/data ' },
      { kind: 'toy', seed: -1 },
      { kind: 'toy', seed: 1.5 },
      { kind: 'toy', seed: 2 ** 32 },
      { kind: 'toy', seed: Number.NaN },
    ] as DatasetSpec[]) {
      const error = (() => {
        try {
          return formatDatasetSpec(spec);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(DatasetError);
      expect((error as DatasetError).code).toBe('invalid-option');
      expect((error as DatasetError).message).toContain(
        `cannot write the ${spec.kind} dataset ${JSON.stringify(spec)} as a spec`,
      );
    }
  });
});
