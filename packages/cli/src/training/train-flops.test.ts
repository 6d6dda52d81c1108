import { describe, expect, it } from 'vitest';
import { trainFlopsPerSample } from './train-flops.js';

describe('trainFlopsPerSample', () => {
  it('counts the default MNIST model (784 → 256 → 10): 1,604,608 FLOPs per sample', () => {
    // Forward: 784·256 + 2·256² + 10·256 = 334,336 multiply-adds.
    // Backward: the same for the weight gradients, plus 2·256² + 10·256 = 133,632 for the input gradients.
    const flops = trainFlopsPerSample(784, 256, 10);
    expect(flops.forward).toBe(2 * 334_336);
    expect(flops.backward).toBe(2 * (334_336 + 133_632));
    expect(flops.total).toBe(1_604_608);
  });

  it('grows quadratically in d once d dominates the input size', () => {
    const ratio = trainFlopsPerSample(784, 8192, 10).total / trainFlopsPerSample(784, 4096, 10).total;
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(4);
  });
});
