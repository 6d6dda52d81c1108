import type { ModelConfig } from '@bilinear-lab/core';
import type { NetworkShape } from '../model/network.js';

// The trainer thinks in NetworkShape (embed or not), model files in ModelConfig (kind): the same facts.

/** The network a model file describes: an image classifier has the embedding, a toy model does not. */
export function networkShapeOf(config: ModelConfig): NetworkShape {
  return {
    inputDim: config.inputDim,
    hiddenDim: config.hiddenDim,
    layers: config.layers,
    outputDim: config.outputDim,
    embed: config.kind === 'image-classifier',
    residual: config.residual,
    gate: config.gate,
    loss: config.loss,
  };
}

/** The model-file config of a trained network (the inverse of networkShapeOf). */
export function modelConfigOf(shape: NetworkShape): ModelConfig {
  return {
    kind: shape.embed ? 'image-classifier' : 'toy',
    inputDim: shape.inputDim,
    hiddenDim: shape.hiddenDim,
    layers: shape.layers,
    outputDim: shape.outputDim,
    residual: shape.residual,
    gate: shape.gate,
    loss: shape.loss,
  };
}
