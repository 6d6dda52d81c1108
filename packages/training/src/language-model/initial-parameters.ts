import { seededGaussian, seededRandom } from '@bilinear-lab/core';
import type { NamedArray } from '../model/parameters.js';
import { type LanguageModelShape, languageModelParameterShapes } from './model-shape.js';

/**
 * PyTorch's default initialisation, as make_lm.py (the reference architecture) gets it: the
 * embedding N(0, 1) (nn.Embedding), every linear map U(−1/√fan_in, 1/√fan_in) (nn.Linear), drawn
 * from seeded generators in JavaScript so the weights are the same on every backend.
 */
export function initialLanguageModelParameters(shape: LanguageModelShape, seed: number): NamedArray[] {
  const gaussian = seededGaussian(seed);
  const uniform = seededRandom((seed ^ 0x5bd1e995) >>> 0);
  return languageModelParameterShapes(shape).map(({ name, shape: [rows, cols] }) => {
    const values = new Float32Array(rows * cols);
    if (name === 'transformer.wte.weight') {
      for (let i = 0; i < values.length; i++) values[i] = gaussian();
    } else {
      const bound = 1 / Math.sqrt(cols);
      for (let i = 0; i < values.length; i++) values[i] = (2 * uniform() - 1) * bound;
    }
    return { name, shape: [rows, cols], values };
  });
}
