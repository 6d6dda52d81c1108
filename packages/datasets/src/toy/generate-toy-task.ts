// The toy task of the reference (REFERENCE §4): four sparse boolean inputs, six boolean functions of
// input pairs as regression targets (MSE). Small enough that single eigenvectors implement AND / XOR.
import type { Dataset, Split } from '../dataset.js';
import { DatasetError } from '../dataset-error.js';
import { formatDatasetSpec } from '../dataset-spec.js';
import { mersenneTwister } from '../random/mersenne-twister.js';
import { TOY_DEFAULT_SEED, TOY_MAX_SEED } from './toy-seed.js';

export type ToyOperation = 'and' | 'or' | 'xor';

/** Output j is TOY_OPERATIONS[j] applied to inputs TOY_PAIRS[j]: every pair once, in itertools order. */
export const TOY_PAIRS: readonly (readonly [number, number])[] = [
  [0, 1],
  [0, 2],
  [0, 3],
  [1, 2],
  [1, 3],
  [2, 3],
];

/**
 * Our choice (the reference names only "AND, XOR, …"): AND, XOR, OR repeated along the pairs, so each
 * function appears twice and the model must learn all three kinds of pairwise interaction.
 */
export const TOY_OPERATIONS: readonly ToyOperation[] = ['and', 'xor', 'or', 'and', 'xor', 'or'];

export const TOY_INPUTS = 4;
export const TOY_DEFAULT_COUNT = 2048;
export const TOY_DEFAULT_PROBABILITY = 0.3;

export interface ToyTaskOptions {
  /** uint32 seed. Default TOY_DEFAULT_SEED (0). */
  seed?: number;
  /** Samples in the train split, and in the test split unless testCount is given. Default 2048. */
  count?: number;
  testCount?: number;
  /** Probability that each input is on, independently. Default 0.3. */
  probability?: number;
  /** One operation per pair of TOY_PAIRS. Default TOY_OPERATIONS. */
  operations?: readonly ToyOperation[];
}

/**
 * Seeded samples of the toy task. Uniforms come from MT19937: the train split from `seed`, the test split
 * from an independent stream (seed mixed by fmix32 of seed ^ golden ratio), so changing one split's count
 * leaves the other unchanged. Inputs and targets are float32 0/1.
 */
export function generateToyTask(options: ToyTaskOptions = {}): Dataset {
  const seed = options.seed ?? TOY_DEFAULT_SEED;
  const count = options.count ?? TOY_DEFAULT_COUNT;
  const testCount = options.testCount ?? count;
  const probability = options.probability ?? TOY_DEFAULT_PROBABILITY;
  const operations = options.operations ?? TOY_OPERATIONS;
  if (!Number.isInteger(seed) || seed < 0 || seed > TOY_MAX_SEED) {
    throw new DatasetError(
      'invalid-option',
      `toy seed must be an integer in 0..${TOY_MAX_SEED}, got ${seed}`,
    );
  }
  for (const [label, value] of [
    ['count', count],
    ['testCount', testCount],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) {
      throw new DatasetError('invalid-option', `toy ${label} must be a non-negative integer, got ${value}`);
    }
  }
  if (!(probability >= 0 && probability <= 1)) {
    throw new DatasetError('invalid-option', `toy probability must lie in [0, 1], got ${probability}`);
  }
  if (operations.length !== TOY_PAIRS.length) {
    throw new DatasetError(
      'invalid-option',
      `toy operations must give one operation per pair (${TOY_PAIRS.length}), got ${operations.length}`,
    );
  }
  const unknown = operations.find((operation) => !['and', 'or', 'xor'].includes(operation));
  if (unknown !== undefined) {
    throw new DatasetError('invalid-option', `toy operation '${unknown}' is not one of and, or, xor`);
  }
  return {
    name: formatDatasetSpec({ kind: 'toy', seed }),
    kind: 'regression',
    inputDim: TOY_INPUTS,
    outputDim: TOY_PAIRS.length,
    imageShape: null,
    train: sampleSplit(mersenneTwister(seed), count, probability, operations),
    test: sampleSplit(mersenneTwister(fmix32(seed ^ 0x9e3779b9)), testCount, probability, operations),
  };
}

function sampleSplit(
  next: () => number,
  count: number,
  probability: number,
  operations: readonly ToyOperation[],
): Split {
  const outputs = TOY_PAIRS.length;
  const inputs = new Float32Array(count * TOY_INPUTS);
  const targets = new Float32Array(count * outputs);
  for (let s = 0; s < count; s++) {
    const bits: boolean[] = [];
    for (let i = 0; i < TOY_INPUTS; i++) {
      const on = next() / 2 ** 32 < probability;
      bits.push(on);
      inputs[s * TOY_INPUTS + i] = on ? 1 : 0;
    }
    for (const [j, [a, b]] of TOY_PAIRS.entries()) {
      targets[s * outputs + j] = apply(operations[j] ?? 'and', bits[a] ?? false, bits[b] ?? false) ? 1 : 0;
    }
  }
  return { count, inputs, labels: null, targets };
}

function apply(operation: ToyOperation, a: boolean, b: boolean): boolean {
  switch (operation) {
    case 'and':
      return a && b;
    case 'or':
      return a || b;
    case 'xor':
      return a !== b;
  }
}

/** MurmurHash3's 32-bit finaliser: spreads a seed so derived streams do not start from related states. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
