import type { BilinearLayer, Matrix } from '../model/types.js';
import { KernelArena } from '../wasm/kernels.js';

/** Entries in the upper triangle (i ≤ j) of a symmetric d×d matrix. */
export function upperTriangleSize(d: number): number {
  return (d * (d + 1)) / 2;
}

/** Where row i of the upper triangle starts, rows stored one after another (i ≤ j). */
function rowStart(i: number, d: number): number {
  return i * d - (i * (i - 1)) / 2;
}

/** The d×d symmetric matrix whose upper triangle, row by row, is `upper`. */
export function symmetricFromUpper(
  upper: ArrayLike<number>,
  d: number,
  out: Float64Array = new Float64Array(d * d),
): Float64Array {
  if (upper.length !== upperTriangleSize(d)) {
    throw new RangeError(
      `an upper triangle of order ${d} has ${upperTriangleSize(d)} entries, got ${upper.length}`,
    );
  }
  let p = 0;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const value = upper[p++] as number;
      out[i * d + j] = value;
      out[j * d + i] = value;
    }
  }
  return out;
}

/** Upper-triangle entries per tile: B is built and contracted one tile of columns at a time. */
const TILE = 512;

/**
 * The interaction tensor of one bilinear layer along its output coordinates: B[a] = Q(e_a) for each
 * of the m rows of the down-projection P [m, h], so that Q(u) = Σ_a u_a B[a] for any direction u.
 *
 * Building Q(u) from the weights costs 2·h·d² per direction. B costs 2·m·h·d(d+1)/2 once, and then
 * each Q(u) costs 2·m·d(d+1)/2 — for many directions through a language model's MLP (m = d, h = 4d)
 * about a quarter of the flops, all of them in the GEMM kernel. B takes m·d(d+1)/2 doubles (538 MB
 * at d = 512), so a slice holds only the upper-triangle entries [start, end): threads split it.
 * Every entry is a float64 sum of the same products as the direct build, in another order.
 */
export class OutputTensorSlice {
  readonly outputDim: number;
  readonly inputDim: number;
  readonly start: number;
  readonly end: number;
  private readonly arena = new KernelArena();
  private readonly tensor: number;
  private readonly tiles: number;
  private readonly buildLengths: number[];

  constructor(
    layer: BilinearLayer,
    projection: Matrix,
    range?: { start: number; end: number },
    onTile?: (done: number, total: number) => void,
  ) {
    const { left, right } = layer;
    const h = left.rows;
    const d = left.cols;
    if (right.rows !== h || right.cols !== d || projection.cols !== h) {
      throw new RangeError(
        `layer and projection disagree: W ${h}×${d}, V ${right.rows}×${right.cols}, P ${projection.rows}×${projection.cols}`,
      );
    }
    const m = projection.rows;
    const size = upperTriangleSize(d);
    const start = range?.start ?? 0;
    const end = range?.end ?? size;
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end && end <= size)) {
      throw new RangeError(
        `entry range [${start}, ${end}) is not inside the ${size} entries of the upper triangle`,
      );
    }
    this.outputDim = m;
    this.inputDim = d;
    this.start = start;
    this.end = end;
    const width = end - start;
    this.tiles = Math.ceil(width / TILE);
    // Pᵀ [h, m], B (tiles of m × TILE), W, V, the tile's pairs, its products [h, TILE], GEMM packing.
    this.buildLengths = [h * m, m * width, h * d, h * d, TILE, h * TILE, h * (Math.ceil(m / 4) * 4 + 64)];
    const [pT, tensor, w, v, pairs, products, packed] = this.arena.layout(this.buildLengths) as Offsets7;
    this.tensor = tensor;
    const pTView = this.arena.view(pT, h * m);
    for (let a = 0; a < m; a++)
      for (let k = 0; k < h; k++) pTView[k * m + a] = projection.data[a * h + k] as number;
    this.arena.view(w, h * d).set(left.data);
    this.arena.view(v, h * d).set(right.data);

    // The first tile's first pair; later pairs follow row by row.
    let i = 0;
    while (i + 1 < d && rowStart(i + 1, d) <= start) i++;
    let j = i + (start - rowStart(i, d));
    for (let t = 0; t < this.tiles; t++) {
      const count = Math.min(TILE, width - t * TILE);
      const pairView = this.arena.int32View(pairs, 2 * count);
      for (let c = 0; c < count; c++) {
        pairView[2 * c] = i;
        pairView[2 * c + 1] = j;
        if (++j === d) j = ++i;
      }
      this.arena.kernels.pairProducts(w, v, h, d, pairs, count, products);
      this.arena.kernels.gemmTransposedA(pT, products, 0, h, m, count, packed, this.tileAt(t));
      onTile?.(t + 1, this.tiles);
    }
  }

  /**
   * The upper-triangle entries [start, end) of Q(u) for `count` directions (count × m, row-major),
   * as count × (end − start), row-major.
   */
  contract(directions: Float64Array, count: number): Float64Array {
    const m = this.outputDim;
    if (directions.length !== count * m) {
      throw new RangeError(`directions have ${directions.length} values, expected ${count} × ${m}`);
    }
    const width = this.end - this.start;
    const [uT, packed, out] = this.arena
      .layout([...this.buildLengths, m * count, m * (Math.ceil(count / 4) * 4 + 64), count * TILE])
      .slice(this.buildLengths.length) as [number, number, number];
    const uTView = this.arena.view(uT, m * count);
    for (let r = 0; r < count; r++)
      for (let a = 0; a < m; a++) uTView[a * count + r] = directions[r * m + a] as number;
    const result = new Float64Array(count * width);
    for (let t = 0; t < this.tiles; t++) {
      const tileWidth = Math.min(TILE, width - t * TILE);
      this.arena.kernels.gemmTransposedA(uT, this.tileAt(t), 0, m, count, tileWidth, packed, out);
      const tile = this.arena.view(out, count * tileWidth);
      for (let r = 0; r < count; r++) {
        result.set(tile.subarray(r * tileWidth, (r + 1) * tileWidth), r * width + t * TILE);
      }
    }
    return result;
  }

  /** Byte offset of tile t of B (m × TILE, the last one narrower). */
  private tileAt(t: number): number {
    return this.tensor + t * this.outputDim * TILE * 8;
  }
}

type Offsets7 = [number, number, number, number, number, number, number];

/** B larger than this stays unbuilt: the direct build then serves (a ts-large layer's B is 1.8 GB). */
export const OUTPUT_TENSOR_MAX_BYTES = 2 ** 30;

/**
 * Whether decomposing `directions` directions through the output tensor takes at most half the
 * flops of building each Q(u) directly — 2·m·P·(h + N) against 4·h·P·N with P = d(d+1)/2, so
 * N ≥ m·h/(h − m) — and B fits in OUTPUT_TENSOR_MAX_BYTES.
 */
export function outputTensorPays(
  shape: { outputDim: number; hidden: number; inputDim: number },
  directions: number,
) {
  const { outputDim: m, hidden: h, inputDim: d } = shape;
  if (m >= h || m * upperTriangleSize(d) * 8 > OUTPUT_TENSOR_MAX_BYTES) return false;
  return directions * (h - m) >= m * h;
}
