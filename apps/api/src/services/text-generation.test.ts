// The work bound of POST /models/{id}/generate: every added token reads its whole window again (no
// KV cache), so the cost is the window lengths summed, each position costing the layers' attention
// projections and bilinear MLP and the unembedding.
import { describe, expect, it } from 'vitest';
import { GENERATE_BUDGET, generationCost } from './text-generation.js';

const LM_DEV = { vocabSize: 768, modelDim: 48, hiddenDim: 128, layers: 2, context: 48 };
const perPosition = 2 * (4 * 48 * 48 + 3 * 48 * 128) + 48 * 768;

describe('generationCost', () => {
  it('sums the windows each added token reads, capped at the context', () => {
    expect(generationCost(LM_DEV, 5, 1)).toBe(5 * perPosition);
    expect(generationCost(LM_DEV, 5, 3)).toBe((5 + 6 + 7) * perPosition);
    // Past the context every step reads 48 positions.
    expect(generationCost(LM_DEV, 100, 2)).toBe(2 * 48 * perPosition);
    expect(generationCost({ ...LM_DEV, context: null }, 100, 2)).toBe((100 + 101) * perPosition);
  });

  it('lets the fixture model write 256 tokens; a ts-medium-sized model a few, not a long run', () => {
    expect(generationCost(LM_DEV, 400, 256)).toBeLessThan(GENERATE_BUDGET);
    const medium = { vocabSize: 4096, modelDim: 512, hiddenDim: 2048, layers: 8, context: 256 };
    expect(generationCost(medium, 20, 2)).toBeLessThan(GENERATE_BUDGET);
    expect(generationCost(medium, 200, 256)).toBeGreaterThan(GENERATE_BUDGET);
  });
});
