/** Multiply-adds counted as 2 FLOPs each, for the matrix products of one training sample. */
export interface TrainFlops {
  forward: number;
  backward: number;
  total: number;
}

/**
 * FLOPs per sample of a training step of the one-block image classifier (in → d → classes), counting
 * matrix products only (the ⊙, softmax and AdamW are lower order): forward
 * 2·(in·d + 2·d·d + classes·d); backward, the weight gradients of all three products, as many again,
 * plus the input gradients of the bilinear block and the head, 2·(2·d·d + classes·d) — none for the
 * embedding, since nothing needs the gradient with respect to the image.
 */
export function trainFlopsPerSample(inputDim: number, hidden: number, classes: number): TrainFlops {
  const forward = 2 * (inputDim * hidden + 2 * hidden * hidden + classes * hidden);
  const inputGradients = 2 * (2 * hidden * hidden + classes * hidden);
  const backward = forward + inputGradients;
  return { forward, backward, total: forward + backward };
}
