import { noiseState, quantileTable } from '../train/gaussian-noise.js';
import type { NetworkShape } from './network.js';
import { type NamedArray, parameterShapes } from './parameters.js';
import { loadTrainingKernels, SCRATCH_FLOATS, type TrainingKernels } from './training-kernels.js';

const PAGE_BYTES = 65_536;

/** Whether the wasm kernels compute this network's step: the plain bilinear product, no latent noise. */
export function wasmGradientsSupport(shape: NetworkShape, latentNoise: number): boolean {
  return shape.gate === 'none' && !(latentNoise > 0);
}

/**
 * A bilinear network's training step (forward, loss, backward) on float32 wasm-SIMD kernels, for
 * the shapes `wasmGradientsSupport` accepts: the same products as `gradientStep`, with the
 * transposed operands read in place instead of copied, and the batch, parameters, activations and
 * gradients resident in one linear memory that is laid out once for `maxBatch` rows. Write a batch
 * into `inputs`/`targets` (its first `count` rows), then call `step`.
 */
export class WasmGradients {
  /** Batch inputs [maxBatch, inputDim], row-major: assemble batches straight into this. */
  readonly inputs: Float32Array;
  /** Batch targets [maxBatch, outputDim]: one-hot rows (cross-entropy) or regression targets. */
  readonly targets: Float32Array;
  /**
   * Gradients of the loss summed (not averaged) over the last step's rows, in parameterShapes
   * order and layout; overwritten by the next step.
   */
  readonly gradients: NamedArray[];

  private readonly kernels: TrainingKernels;
  private readonly parameterViews: NamedArray[];
  private readonly at: Layout;

  constructor(
    private readonly shape: NetworkShape,
    private readonly maxBatch: number,
  ) {
    if (shape.gate !== 'none') {
      throw new Error(
        `the wasm training kernels compute the plain bilinear product, not gate "${shape.gate}"`,
      );
    }
    if (shape.residual && !shape.embed && shape.inputDim !== shape.hiddenDim) {
      throw new Error(
        `a residual first block needs inputDim = hiddenDim, got ${shape.inputDim} and ${shape.hiddenDim}`,
      );
    }
    this.kernels = loadTrainingKernels();
    const shapes = parameterShapes(shape);
    const { layout, bytes } = planLayout(shape, maxBatch, shapes, this.kernels.heapBase());
    const memory = this.kernels.memory;
    if (bytes > memory.buffer.byteLength) {
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES));
    }
    this.at = layout;
    // The memory never grows again, so these views stay valid.
    const view = (offset: number, length: number) => new Float32Array(memory.buffer, offset, length);
    this.inputs = view(layout.inputs, maxBatch * shape.inputDim);
    this.targets = view(layout.targets, maxBatch * shape.outputDim);
    this.parameterViews = shapes.map(({ name, shape: [rows, cols] }, i) => ({
      name,
      shape: [rows, cols],
      values: view(layout.parameters[i] as number, rows * cols),
    }));
    this.gradients = shapes.map(({ name, shape: [rows, cols] }, i) => ({
      name,
      shape: [rows, cols],
      values: view(layout.gradients[i] as number, rows * cols),
    }));
    const table = quantileTable();
    view(layout.noiseTable, table.length).set(table);
  }

  /**
   * addSeededGaussianNoise on `inputs` (and only there: the kernel works in its own memory), the
   * same numbers bit for bit, about twice as fast: assembleBatch's `addNoise` for these inputs.
   */
  readonly addNoise = (x: Float32Array, start: number, end: number, std: number, seed: number, skip = 0) => {
    if (x !== this.inputs) throw new Error('WasmGradients.addNoise works on its own inputs only');
    if (!(Number.isInteger(start) && start >= 0 && end >= start && end <= x.length)) {
      throw new Error(`noise range [${start}, ${end}) is outside the ${x.length} inputs`);
    }
    this.kernels.addSeededNoise(
      this.at.inputs + start * 4,
      end - start,
      std,
      noiseState(seed, skip),
      this.at.noiseTable,
    );
  };

  /**
   * Gradients (into `gradients`) of the loss summed over the first `count` rows of
   * `inputs`/`targets`, with the loss sum and, for cross-entropy, the count of correct predictions.
   */
  step(parameters: readonly NamedArray[], count: number): { lossSum: number; correct: number } {
    if (!Number.isInteger(count) || count < 1 || count > this.maxBatch) {
      throw new Error(`batch of ${count} rows: the kernels were laid out for 1 to ${this.maxBatch}`);
    }
    this.parameterViews.forEach((view, i) => {
      const p = parameters[i];
      if (!p || p.name !== view.name || p.values.length !== view.values.length) {
        throw new Error(
          `parameter ${i} is ${p ? `"${p.name}" with ${p.values.length} values` : 'missing'}, expected "${view.name}" with ${view.values.length}`,
        );
      }
      view.values.set(p.values);
    });
    const { shape, at } = this;
    const k = this.kernels;
    const d = shape.hiddenDim;
    const scratch = at.scratch;
    const param = (i: number) => at.parameters[i] as number;
    const grad = (i: number) => at.gradients[i] as number;
    const first = shape.embed ? 1 : 0;
    const headIndex = first + 2 * shape.layers;

    // Forward: h₀ = x·Eᵀ (or x), then per block a = h·Wᵀ, b = h·Vᵀ, h ← a∘b (+ h).
    if (shape.embed)
      k.matmul(
        at.inputs,
        param(0),
        at.hidden[0] as number,
        count,
        shape.inputDim,
        d,
        false,
        false,
        false,
        scratch,
      );
    for (let i = 0; i < shape.layers; i++) {
      const input = at.hidden[i] as number;
      const fanIn = i === 0 && !shape.embed ? shape.inputDim : d;
      const a = at.left[i] as number;
      const b = at.right[i] as number;
      const output = at.hidden[i + 1] as number;
      k.matmul(input, param(first + 2 * i), a, count, fanIn, d, false, false, false, scratch);
      k.matmul(input, param(first + 2 * i + 1), b, count, fanIn, d, false, false, false, scratch);
      k.hadamard(a, b, output, count * d);
      if (shape.residual) k.add(output, input, output, count * d);
    }
    const last = at.hidden[shape.layers] as number;
    k.matmul(last, param(headIndex), at.logits, count, d, shape.outputDim, false, false, false, scratch);
    const { lossSum, correct } = this.lossAndGradient(count);

    // Backward, every product reading its transposed operand in place.
    k.matmul(last, at.dLogits, grad(headIndex), d, count, shape.outputDim, true, false, false, scratch);
    let dh = at.dHidden;
    let dNext = at.dHiddenNext;
    k.matmul(at.dLogits, param(headIndex), dh, count, shape.outputDim, d, false, true, false, scratch);
    for (let i = shape.layers - 1; i >= 0; i--) {
      const input = at.hidden[i] as number;
      const fanIn = i === 0 && !shape.embed ? shape.inputDim : d;
      k.hadamardBackward(dh, at.left[i] as number, at.right[i] as number, at.dLeft, at.dRight, count * d);
      k.matmul(input, at.dLeft, grad(first + 2 * i), fanIn, count, d, true, false, false, scratch);
      k.matmul(input, at.dRight, grad(first + 2 * i + 1), fanIn, count, d, true, false, false, scratch);
      // The first block's input gradient is needed only to reach an embedding.
      if (i === 0 && !shape.embed) break;
      k.matmul(at.dLeft, param(first + 2 * i), dNext, count, d, fanIn, false, true, false, scratch);
      k.matmul(at.dRight, param(first + 2 * i + 1), dNext, count, d, fanIn, false, true, true, scratch);
      if (shape.residual) k.add(dNext, dh, dNext, count * fanIn);
      [dh, dNext] = [dNext, dh];
    }
    if (shape.embed) k.matmul(at.inputs, dh, grad(0), shape.inputDim, count, d, true, false, false, scratch);
    return { lossSum, correct };
  }

  /**
   * Loss summed over rows and its gradient with respect to the logits (also summed, so not divided
   * by the batch): softmax cross-entropy against one-hot rows, or squared error averaged over
   * outputs as torch's MSELoss. Row sums run in float64.
   */
  private lossAndGradient(count: number): { lossSum: number; correct: number } {
    const out = this.shape.outputDim;
    const memory = this.kernels.memory.buffer;
    const logits = new Float32Array(memory, this.at.logits, count * out);
    const dLogits = new Float32Array(memory, this.at.dLogits, count * out);
    const targets = this.targets;
    let lossSum = 0;
    let correct = 0;
    if (this.shape.loss === 'cross-entropy') {
      for (let r = 0; r < count; r++) {
        const row = r * out;
        let max = -Infinity;
        let predicted = 0;
        let label = 0;
        for (let j = 0; j < out; j++) {
          const z = logits[row + j] as number;
          if (z > max) {
            max = z;
            predicted = j;
          }
          if ((targets[row + j] as number) > (targets[row + label] as number)) label = j;
        }
        let sum = 0;
        for (let j = 0; j < out; j++) sum += Math.exp((logits[row + j] as number) - max);
        const logSum = max + Math.log(sum);
        for (let j = 0; j < out; j++) {
          const z = logits[row + j] as number;
          const t = targets[row + j] as number;
          lossSum -= t * (z - logSum);
          dLogits[row + j] = Math.exp(z - logSum) - t;
        }
        if (predicted === label) correct++;
      }
      return { lossSum, correct };
    }
    for (let i = 0; i < count * out; i++) {
      const residual = (logits[i] as number) - (targets[i] as number);
      lossSum += residual * residual;
      dLogits[i] = (2 * residual) / out;
    }
    return { lossSum: lossSum / out, correct: 0 };
  }
}

/** Byte offsets of every buffer of the step, each 64-byte aligned. */
interface Layout {
  scratch: number;
  /** The input noise's 2¹⁶ + 1 quantiles (gaussian-noise.ts's table). */
  noiseTable: number;
  inputs: number;
  targets: number;
  parameters: number[];
  gradients: number[];
  /** Block inputs h₀ … h_L ([maxBatch, d]; h₀ is `inputs` without an embedding). */
  hidden: number[];
  /** Per block, a = h·Wᵀ and b = h·Vᵀ [maxBatch, d]. */
  left: number[];
  right: number[];
  logits: number;
  dLogits: number;
  dHidden: number;
  dHiddenNext: number;
  dLeft: number;
  dRight: number;
}

function planLayout(
  shape: NetworkShape,
  maxBatch: number,
  shapes: readonly { shape: [number, number] }[],
  heapBase: number,
): { layout: Layout; bytes: number } {
  let end = alignUp(heapBase, 64);
  const take = (floats: number) => {
    const offset = end;
    end = alignUp(end + floats * 4, 64);
    return offset;
  };
  const d = shape.hiddenDim;
  const rows = maxBatch;
  const scratch = take(SCRATCH_FLOATS);
  const noiseTable = take(quantileTable().length);
  const inputs = take(rows * shape.inputDim);
  const targets = take(rows * shape.outputDim);
  const parameters = shapes.map(({ shape: [r, c] }) => take(r * c));
  const gradients = shapes.map(({ shape: [r, c] }) => take(r * c));
  const hidden = [shape.embed ? take(rows * d) : inputs];
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < shape.layers; i++) {
    left.push(take(rows * d));
    right.push(take(rows * d));
    hidden.push(take(rows * d));
  }
  const layout: Layout = {
    scratch,
    noiseTable,
    inputs,
    targets,
    parameters,
    gradients,
    hidden,
    left,
    right,
    logits: take(rows * shape.outputDim),
    dLogits: take(rows * shape.outputDim),
    dHidden: take(rows * d),
    dHiddenNext: take(rows * d),
    dLeft: take(rows * d),
    dRight: take(rows * d),
  };
  return { layout, bytes: end };
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
