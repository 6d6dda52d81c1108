// One output's top-k eigenvectors as raw little-endian float32 rows (`format=f32`, and the headers
// of `format=npy`): the header names, the headers the API builds, the decoder the dashboard reads
// them with (on its server and in the browser), and the p1…pk / n1…nk names of the rows.
// Neither zod nor a Node-only API here: the browser imports this module on its own, as
// `@bilinear-lab/contracts/eigenvector-block`, so none of the schemas reach its bundle.

export const EIGENVECTOR_BLOCK_HEADERS = {
  /** `rows,dimension`. */
  shape: 'x-shape',
  /** Always `float32`. */
  dtype: 'x-dtype',
  /** One per row, comma-separated, in row order. */
  eigenvalues: 'x-eigenvalues',
  /** Rows 0 … positiveCount − 1 are the positive eigenvectors (descending λ)… */
  positiveCount: 'x-positive-count',
  /** …and the rest the negative ones (ascending λ: most negative first). */
  negativeCount: 'x-negative-count',
  /**
   * A residual block's linear term a in the block's space (the output is Σ λ (vᵀx)² + aᵀx),
   * comma-separated at float32 precision like the vectors (9 significant digits: 784 pixels stay
   * under 9 KB, well inside the 16 KB of headers Node's HTTP clients accept); absent when the output
   * is a pure quadratic form. The JSON format and the decomposition's `linear_model` carry float64.
   */
  linearTerm: 'x-linear-term',
} as const;

export const EIGENVECTOR_BLOCK_DTYPE = 'float32';

/** How a block's rows divide by sign: the positives come first. */
export interface EigenvectorSplit {
  positiveCount: number;
  negativeCount: number;
}

/** A decoded block: `rows` vectors of `dimension` float32 values, row-major. */
export interface EigenvectorBlock extends EigenvectorSplit {
  rows: number;
  dimension: number;
  /** λ of each row: positives descending (p1, p2, …), then negatives ascending (n1, n2, …). */
  eigenvalues: number[];
  vectors: Float32Array;
  /** A residual block's linear term (length dimension), or null. */
  linearTerm: number[] | null;
}

/** A response whose headers or body do not describe a valid block. */
export class EigenvectorBlockError extends Error {
  override readonly name = 'EigenvectorBlockError';
}

/** What the encoder needs besides the bytes: one eigenvalue per row and the split by sign. */
export interface EigenvectorBlockDescription extends EigenvectorSplit {
  dimension: number;
  eigenvalues: readonly number[];
  /** A residual block's linear term (length dimension), or null/absent. */
  linearTerm?: ArrayLike<number> | null;
}

/** The headers describing a block's bytes (the API sends them with `f32` and `npy` bodies). */
export function eigenvectorBlockHeaders(block: EigenvectorBlockDescription): Record<string, string> {
  const rows = block.eigenvalues.length;
  for (const [what, count] of [
    ['positiveCount', block.positiveCount],
    ['negativeCount', block.negativeCount],
    ['dimension', block.dimension],
  ] as const) {
    if (!Number.isInteger(count) || count < 0) {
      throw new EigenvectorBlockError(`${what} must be a non-negative integer, not ${count}`);
    }
  }
  if (block.positiveCount + block.negativeCount !== rows) {
    throw new EigenvectorBlockError(
      `${block.positiveCount} positive + ${block.negativeCount} negative rows do not add up to the ${rows} eigenvalues`,
    );
  }
  const linearTerm = block.linearTerm ?? null;
  if (linearTerm !== null && linearTerm.length !== block.dimension) {
    throw new EigenvectorBlockError(
      `the linear term has ${linearTerm.length} values for vectors of dimension ${block.dimension}`,
    );
  }
  return {
    ...(linearTerm === null
      ? {}
      : {
          [EIGENVECTOR_BLOCK_HEADERS.linearTerm]: Array.from(linearTerm, (value) =>
            Number(Math.fround(value).toPrecision(9)),
          ).join(','),
        }),
    [EIGENVECTOR_BLOCK_HEADERS.shape]: `${rows},${block.dimension}`,
    [EIGENVECTOR_BLOCK_HEADERS.dtype]: EIGENVECTOR_BLOCK_DTYPE,
    // String(x) of a double reads back as the same double.
    [EIGENVECTOR_BLOCK_HEADERS.eigenvalues]: block.eigenvalues.join(','),
    [EIGENVECTOR_BLOCK_HEADERS.positiveCount]: String(block.positiveCount),
    [EIGENVECTOR_BLOCK_HEADERS.negativeCount]: String(block.negativeCount),
  };
}

/** Fetch's `Headers`, or anything else that reads a header by its lower-case name. */
export interface HeaderReader {
  get(name: string): string | null;
}

const COUNT = /^\d+$/;

function header(headers: HeaderReader, name: string): string {
  const value = headers.get(name);
  if (value === null) {
    throw new EigenvectorBlockError(`the eigenvector response has no ${name} header`);
  }
  return value.trim();
}

function count(headers: HeaderReader, name: string): number {
  const value = header(headers, name);
  if (!COUNT.test(value)) {
    throw new EigenvectorBlockError(`${name}: expected a non-negative integer, got "${value}"`);
  }
  return Number(value);
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads a block from its headers and body bytes. The counts say which rows are positive — the signs
 * of the eigenvalues are never consulted. Throws EigenvectorBlockError saying which header or how
 * many bytes are wrong.
 */
export function decodeEigenvectorBlock(
  headers: HeaderReader,
  body: ArrayBufferLike | ArrayBufferView,
): EigenvectorBlock {
  const shape = header(headers, EIGENVECTOR_BLOCK_HEADERS.shape);
  const dims = shape.split(',').map((part) => part.trim());
  if (dims.length !== 2 || !dims.every((part) => COUNT.test(part))) {
    throw new EigenvectorBlockError(
      `${EIGENVECTOR_BLOCK_HEADERS.shape}: expected "rows,dimension" (two non-negative integers), got "${shape}"`,
    );
  }
  const [rows, dimension] = dims.map(Number) as [number, number];

  const dtype = header(headers, EIGENVECTOR_BLOCK_HEADERS.dtype);
  if (dtype !== EIGENVECTOR_BLOCK_DTYPE) {
    throw new EigenvectorBlockError(
      `${EIGENVECTOR_BLOCK_HEADERS.dtype}: expected "${EIGENVECTOR_BLOCK_DTYPE}", got "${dtype}"`,
    );
  }

  const eigenvalues = numberList(
    EIGENVECTOR_BLOCK_HEADERS.eigenvalues,
    header(headers, EIGENVECTOR_BLOCK_HEADERS.eigenvalues),
  );
  if (eigenvalues.length !== rows) {
    throw new EigenvectorBlockError(
      `${EIGENVECTOR_BLOCK_HEADERS.eigenvalues}: ${eigenvalues.length} values for the ${rows} rows of ${EIGENVECTOR_BLOCK_HEADERS.shape} "${shape}"`,
    );
  }

  const positiveCount = count(headers, EIGENVECTOR_BLOCK_HEADERS.positiveCount);
  const negativeCount = count(headers, EIGENVECTOR_BLOCK_HEADERS.negativeCount);
  if (positiveCount + negativeCount !== rows) {
    throw new EigenvectorBlockError(
      `${EIGENVECTOR_BLOCK_HEADERS.positiveCount} ${positiveCount} + ${EIGENVECTOR_BLOCK_HEADERS.negativeCount} ${negativeCount} do not add up to the ${rows} rows of ${EIGENVECTOR_BLOCK_HEADERS.shape} "${shape}"`,
    );
  }

  const bytes = ArrayBuffer.isView(body)
    ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
    : new Uint8Array(body);
  const length = rows * dimension;
  if (bytes.byteLength !== length * 4) {
    throw new EigenvectorBlockError(
      `the body has ${bytes.byteLength} bytes; ${rows} × ${dimension} float32 values take ${length * 4}`,
    );
  }
  const linearText = headers.get(EIGENVECTOR_BLOCK_HEADERS.linearTerm);
  const linearTerm =
    linearText === null ? null : numberList(EIGENVECTOR_BLOCK_HEADERS.linearTerm, linearText.trim());
  if (linearTerm !== null && linearTerm.length !== dimension) {
    throw new EigenvectorBlockError(
      `${EIGENVECTOR_BLOCK_HEADERS.linearTerm}: ${linearTerm.length} values for vectors of dimension ${dimension}`,
    );
  }
  return {
    rows,
    dimension,
    eigenvalues,
    positiveCount,
    negativeCount,
    vectors: float32s(bytes, length),
    linearTerm,
  };
}

/** A comma-separated list of finite numbers in header `name`. */
function numberList(name: string, listed: string): number[] {
  const entries = listed === '' ? [] : listed.split(',').map((entry) => entry.trim());
  return entries.map((entry, i) => {
    const value = entry === '' ? Number.NaN : Number(entry);
    if (!Number.isFinite(value)) {
      throw new EigenvectorBlockError(`${name}: entry ${i + 1} ("${entry}") is not a finite number`);
    }
    return value;
  });
}

/** The bytes as float32, viewed in place when they are aligned and the host is little-endian. */
function float32s(bytes: Uint8Array, length: number): Float32Array {
  if (littleEndian && bytes.byteOffset % 4 === 0) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, length);
  }
  const vectors = new Float32Array(length);
  if (littleEndian) {
    new Uint8Array(vectors.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < length; i++) vectors[i] = view.getFloat32(4 * i, true);
  }
  return vectors;
}

/**
 * The name of a row: "p3" is the third most positive eigenvector (row 2), "n2" the second most
 * negative (row positiveCount + 1).
 */
export function eigenvectorName(split: EigenvectorSplit, row: number): string {
  if (!Number.isInteger(row) || row < 0 || row >= split.positiveCount + split.negativeCount) {
    throw new RangeError(
      `row ${row} is outside a block of ${split.positiveCount} positive and ${split.negativeCount} negative eigenvectors`,
    );
  }
  return row < split.positiveCount ? `p${row + 1}` : `n${row - split.positiveCount + 1}`;
}

const NAME = /^([pn])([1-9]\d*)$/;

/** The row named p1…pk / n1…nk in a block with this split, or null when no such row exists. */
export function eigenvectorRow(split: EigenvectorSplit, name: string): number | null {
  const match = NAME.exec(name);
  if (!match) return null;
  const rank = Number(match[2]);
  if (match[1] === 'p') return rank <= split.positiveCount ? rank - 1 : null;
  return rank <= split.negativeCount ? split.positiveCount + rank - 1 : null;
}
