import type { BilinearLayer, Matrix } from '../model/types.js';
import { KernelArena } from '../wasm/kernels.js';

/**
 * The hidden-unit weights s = Pᵀu of an output direction u (length m) through the down-projection
 * P [m, h]: Q(u) only ever sees u through them.
 */
export function hiddenWeights(projection: Matrix, direction: ArrayLike<number>): Float64Array {
  if (direction.length !== projection.rows) {
    throw new RangeError(
      `output direction has length ${direction.length}, but the projection maps to ${projection.rows} outputs`,
    );
  }
  const { rows, cols, data } = projection;
  const s = new Float64Array(cols);
  for (let a = 0; a < rows; a++) {
    const ua = direction[a] as number;
    if (ua === 0) continue;
    for (let k = 0; k < cols; k++) s[k] = (s[k] as number) + ua * (data[a * cols + k] as number);
  }
  return s;
}

/**
 * Builds interaction matrices Q(u) = ½ (Wᵀ diag(s) V + Vᵀ diag(s) W) of one bilinear layer for many
 * output directions, in O(h·d²) each and without the third-order tensor. The layer's weights are
 * copied once into a private WebAssembly arena, so directions are cheap to iterate over.
 */
export class InteractionMatrixBuilder {
  readonly hidden: number;
  readonly inputDim: number;
  private readonly arena = new KernelArena();
  private readonly offsets: number[];

  constructor(layer: BilinearLayer) {
    const { left, right } = layer;
    if (left.rows !== right.rows || left.cols !== right.cols) {
      throw new RangeError(
        `bilinear layer halves differ in shape: W is ${left.rows}×${left.cols}, V is ${right.rows}×${right.cols}`,
      );
    }
    this.hidden = left.rows;
    this.inputDim = left.cols;
    const h = this.hidden;
    const d = this.inputDim;
    const strips = Math.ceil(d / 4);
    this.offsets = this.arena.layout([h * d, h * d, h, h * strips * 4 + h * 64, d * d]);
    this.arena.view(this.offsets[0] as number, h * d).set(left.data);
    this.arena.view(this.offsets[1] as number, h * d).set(right.data);
  }

  /** Q for hidden-unit weights s (length h), as a new d×d row-major matrix. */
  forHiddenWeights(s: ArrayLike<number>): Float64Array {
    return this.inArena(s).slice();
  }

  /**
   * Q for hidden-unit weights s, as a view into this builder's arena: valid until its next build.
   * For a caller that copies Q on at once (the eigensolver does): a new d×d array per matrix costs
   * the page faults of fresh memory (≈ 5 ms for 2 MB at d = 512 on a VM).
   */
  inArena(s: ArrayLike<number>): Float64Array {
    if (s.length !== this.hidden) {
      throw new RangeError(
        `hidden weights have length ${s.length}, the layer has ${this.hidden} hidden units`,
      );
    }
    const [w, v, sOff, packed, out] = this.offsets as [number, number, number, number, number];
    this.arena.view(sOff, this.hidden).set(s);
    this.arena.kernels.interactionMatrix(w, v, sOff, this.hidden, this.inputDim, packed, out);
    return this.arena.view(out, this.inputDim * this.inputDim);
  }

  /** Q(u) for an output direction u through the layer's down-projection P [m, h]. */
  forDirection(projection: Matrix, direction: ArrayLike<number>): Float64Array {
    return this.forHiddenWeights(hiddenWeights(projection, direction));
  }
}

/** Q(u) for a single direction; prefer InteractionMatrixBuilder when there are several. */
export function interactionMatrix(layer: BilinearLayer, projection: Matrix, direction: ArrayLike<number>) {
  return new InteractionMatrixBuilder(layer).forDirection(projection, direction);
}

/**
 * The symmetrised third-order tensor B_sym [m, d, d] (B_sym[a] = Q(e_a)), for analyses that need
 * every output at once (HOSVD). O(m·h·d²) time and m·d² memory: only where an analysis asks for it.
 */
export function symmetricInteractionTensor(layer: BilinearLayer, projection: Matrix): Float64Array {
  const builder = new InteractionMatrixBuilder(layer);
  const m = projection.rows;
  const d = builder.inputDim;
  const tensor = new Float64Array(m * d * d);
  const unit = new Float64Array(m);
  for (let a = 0; a < m; a++) {
    unit.fill(0);
    unit[a] = 1;
    tensor.set(builder.forDirection(projection, unit), a * d * d);
  }
  return tensor;
}
