import type { Gate } from './config.js';
import { gateActivation } from './gate.js';
import { multiplyVector } from './matrix.js';
import type { BilinearLayer, ImageClassifierModel } from './types.js';

/** g(x) = (W x) ⊙ (V x) for one bilinear layer, or act(W x) ⊙ (V x) for a gated one. */
export function bilinearForward(
  layer: BilinearLayer,
  x: ArrayLike<number>,
  gate: Gate = 'none',
): Float64Array {
  const left = multiplyVector(layer.left, x);
  const right = multiplyVector(layer.right, x);
  if (gate === 'none') {
    for (let i = 0; i < left.length; i++) left[i] = (left[i] as number) * (right[i] as number);
  } else {
    const act = gateActivation(gate);
    for (let i = 0; i < left.length; i++) left[i] = act(left[i] as number) * (right[i] as number);
  }
  return left;
}

/** The classifier's input to block `block` (0 = the embedded input E x), with its gate and residual. */
export function classifierHidden(
  model: ImageClassifierModel,
  input: ArrayLike<number>,
  block: number,
): Float64Array {
  if (input.length !== model.inputDim) {
    throw new RangeError(`input has ${input.length} values, the model expects ${model.inputDim}`);
  }
  let x = multiplyVector(model.embed, input);
  for (let b = 0; b < block; b++) {
    const g = bilinearForward(model.blocks[b] as BilinearLayer, x, model.gate);
    if (model.residual) for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) + (x[i] as number);
    x = g;
  }
  return x;
}

/** Class logits of the reference image classifier for one input (length inputDim). */
export function classifierLogits(model: ImageClassifierModel, input: ArrayLike<number>): Float64Array {
  return multiplyVector(model.head, classifierHidden(model, input, model.blocks.length));
}

/** Logits for `count` inputs stored row-major; returns count × classes. */
export function classifierLogitsBatch(
  model: ImageClassifierModel,
  inputs: ArrayLike<number>,
  count: number,
): Float64Array {
  const classes = model.head.rows;
  const out = new Float64Array(count * classes);
  const dim = model.inputDim;
  const row = new Float64Array(dim);
  for (let s = 0; s < count; s++) {
    for (let i = 0; i < dim; i++) row[i] = inputs[s * dim + i] as number;
    out.set(classifierLogits(model, row), s * classes);
  }
  return out;
}
