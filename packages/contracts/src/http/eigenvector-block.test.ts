import { describe, expect, it } from 'vitest';
import {
  decodeEigenvectorBlock,
  EIGENVECTOR_BLOCK_HEADERS,
  EigenvectorBlockError,
  eigenvectorBlockHeaders,
  eigenvectorName,
  eigenvectorRow,
} from './eigenvector-block.js';

const H = EIGENVECTOR_BLOCK_HEADERS;

/** Three positive rows and two negative ones of dimension 4; every value says its row and column. */
function sample() {
  const dimension = 4;
  const eigenvalues = [2.5, 0.1 + 0.2, 1e-300, -7.25, -1 / 3];
  const vectors = new Float32Array(eigenvalues.length * dimension);
  for (let r = 0; r < eigenvalues.length; r++) {
    for (let c = 0; c < dimension; c++) vectors[r * dimension + c] = (r + 1) * 10 + c / 8 - 0.3;
  }
  return { dimension, eigenvalues, positiveCount: 3, negativeCount: 2, vectors };
}

/** The bytes as the API sends them: float32 little-endian, whatever the host's order. */
function littleEndianBytes(vectors: Float32Array): Uint8Array {
  const bytes = new Uint8Array(vectors.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vectors.length; i++) view.setFloat32(4 * i, vectors[i] as number, true);
  return bytes;
}

function encoded(overrides: Record<string, string | null> = {}) {
  const block = sample();
  const headers = new Headers(eigenvectorBlockHeaders(block));
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  return { block, headers, bytes: littleEndianBytes(block.vectors) };
}

describe('eigenvector block codec', () => {
  it('round-trips rows, counts and eigenvalues (every double exactly)', () => {
    const { block, headers, bytes } = encoded();
    expect(headers.get(H.shape)).toBe('5,4');
    expect(headers.get(H.dtype)).toBe('float32');
    expect(headers.get(H.positiveCount)).toBe('3');
    expect(headers.get(H.negativeCount)).toBe('2');
    for (const body of [bytes.buffer, bytes]) {
      const decoded = decodeEigenvectorBlock(headers, body);
      expect(decoded.rows).toBe(5);
      expect(decoded.dimension).toBe(4);
      expect(decoded.positiveCount).toBe(3);
      expect(decoded.negativeCount).toBe(2);
      expect(decoded.eigenvalues).toEqual(block.eigenvalues);
      expect(decoded.vectors).toEqual(block.vectors);
    }
  });

  it("carries a residual block's linear term at float32 precision, and none when there is none", () => {
    const block = { ...sample(), linearTerm: [0.1, -2.5e-7, 3, 1 / 3] };
    const headers = new Headers(eigenvectorBlockHeaders(block));
    const decoded = decodeEigenvectorBlock(headers, littleEndianBytes(block.vectors));
    expect(Float32Array.from(decoded.linearTerm ?? [])).toEqual(Float32Array.from(block.linearTerm));
    expect(decodeEigenvectorBlock(encoded().headers, encoded().bytes).linearTerm).toBeNull();
    expect(() => eigenvectorBlockHeaders({ ...block, linearTerm: [1, 2] })).toThrow(
      'the linear term has 2 values for vectors of dimension 4',
    );
    headers.set(H.linearTerm, '1,2,x,4');
    expect(() => decodeEigenvectorBlock(headers, littleEndianBytes(block.vectors))).toThrow(
      'x-linear-term: entry 3 ("x") is not a finite number',
    );
    headers.set(H.linearTerm, '1,2');
    expect(() => decodeEigenvectorBlock(headers, littleEndianBytes(block.vectors))).toThrow(
      'x-linear-term: 2 values for vectors of dimension 4',
    );
  });

  it('reads bytes that start at an unaligned offset', () => {
    const { block, headers, bytes } = encoded();
    const shifted = new Uint8Array(bytes.byteLength + 1);
    shifted.set(bytes, 1);
    const decoded = decodeEigenvectorBlock(headers, shifted.subarray(1));
    expect(decoded.vectors).toEqual(block.vectors);
  });

  it('takes the split from the counts, not from the signs of the eigenvalues', () => {
    // A positive eigenvector whose λ rounded to 0, and a negative block with no positives at all.
    const zero = eigenvectorBlockHeaders({
      dimension: 1,
      eigenvalues: [0.5, 0, -0.5],
      positiveCount: 2,
      negativeCount: 1,
    });
    const decoded = decodeEigenvectorBlock(new Headers(zero), new Float32Array([1, 2, 3]).buffer);
    expect(decoded.positiveCount).toBe(2);
    expect(eigenvectorName(decoded, 1)).toBe('p2');
    expect(eigenvectorName(decoded, 2)).toBe('n1');
  });

  it('round-trips an empty block', () => {
    const headers = new Headers(
      eigenvectorBlockHeaders({ dimension: 784, eigenvalues: [], positiveCount: 0, negativeCount: 0 }),
    );
    const decoded = decodeEigenvectorBlock(headers, new ArrayBuffer(0));
    expect(decoded).toMatchObject({ rows: 0, dimension: 784, eigenvalues: [], positiveCount: 0 });
  });

  it('refuses to describe counts that do not add up to the rows', () => {
    const block = { ...sample(), negativeCount: 1 };
    expect(() => eigenvectorBlockHeaders(block)).toThrow(
      '3 positive + 1 negative rows do not add up to the 5 eigenvalues',
    );
    expect(() => eigenvectorBlockHeaders({ ...sample(), positiveCount: -1 })).toThrow(
      'positiveCount must be a non-negative integer',
    );
  });

  it.each([
    [{ [H.shape]: null }, 'the eigenvector response has no x-shape header'],
    [{ [H.shape]: '5x4' }, 'x-shape: expected "rows,dimension" (two non-negative integers), got "5x4"'],
    [{ [H.shape]: '5,4,1' }, 'x-shape: expected "rows,dimension"'],
    [{ [H.shape]: '-5,4' }, 'x-shape: expected "rows,dimension"'],
    [{ [H.dtype]: 'float64' }, 'x-dtype: expected "float32", got "float64"'],
    [{ [H.dtype]: null }, 'the eigenvector response has no x-dtype header'],
    [{ [H.eigenvalues]: null }, 'the eigenvector response has no x-eigenvalues header'],
    [{ [H.eigenvalues]: '1,2,x,4,5' }, 'x-eigenvalues: entry 3 ("x") is not a finite number'],
    [{ [H.eigenvalues]: '1,2,,4,5' }, 'x-eigenvalues: entry 3 ("") is not a finite number'],
    [{ [H.eigenvalues]: '1,2,3,4' }, 'x-eigenvalues: 4 values for the 5 rows of x-shape "5,4"'],
    [{ [H.positiveCount]: null }, 'the eigenvector response has no x-positive-count header'],
    [{ [H.negativeCount]: '1.5' }, 'x-negative-count: expected a non-negative integer, got "1.5"'],
    [
      { [H.positiveCount]: '4' },
      'x-positive-count 4 + x-negative-count 2 do not add up to the 5 rows of x-shape "5,4"',
    ],
    [{ [H.shape]: '5,3' }, 'the body has 80 bytes; 5 × 3 float32 values take 60'],
  ])('rejects %j: %s', (overrides, message) => {
    const { headers, bytes } = encoded(overrides);
    expect(() => decodeEigenvectorBlock(headers, bytes)).toThrow(EigenvectorBlockError);
    expect(() => decodeEigenvectorBlock(headers, bytes)).toThrow(message);
  });

  it('rejects a body cut short', () => {
    const { headers, bytes } = encoded();
    expect(() => decodeEigenvectorBlock(headers, bytes.subarray(0, 77))).toThrow(
      'the body has 77 bytes; 5 × 4 float32 values take 80',
    );
  });
});

describe('p1…pk / n1…nk names', () => {
  const split = { positiveCount: 3, negativeCount: 2 };

  it('names positives by rank from the most positive, negatives from the most negative', () => {
    expect([0, 1, 2, 3, 4].map((row) => eigenvectorName(split, row))).toEqual(['p1', 'p2', 'p3', 'n1', 'n2']);
  });

  it('finds each name back at its row', () => {
    for (const counts of [
      split,
      { positiveCount: 0, negativeCount: 4 },
      { positiveCount: 5, negativeCount: 0 },
    ]) {
      const rows = counts.positiveCount + counts.negativeCount;
      for (let row = 0; row < rows; row++) {
        expect(eigenvectorRow(counts, eigenvectorName(counts, row))).toBe(row);
      }
    }
  });

  it('has no row for names outside the block or not of the form p<k> / n<k>', () => {
    for (const name of ['p4', 'n3', 'p0', 'n0', 'p01', 'x1', 'p', 'P1', 'p1 ', ' n1', 'p-1', 'p1.0', '']) {
      expect(eigenvectorRow(split, name), name).toBeNull();
    }
  });

  it('refuses to name a row outside the block', () => {
    expect(() => eigenvectorName(split, 5)).toThrow(RangeError);
    expect(() => eigenvectorName(split, -1)).toThrow(
      'row -1 is outside a block of 3 positive and 2 negative',
    );
    expect(() => eigenvectorName(split, 1.5)).toThrow(RangeError);
  });
});
