import { describe, expect, it } from 'vitest';
import { fitsBundledMnist, fitsDataset } from './fits-dataset.js';
import { loadBundledMnist } from './mnist/load-bundled-mnist.js';
import { generateToyTask } from './toy/generate-toy-task.js';

describe('fitsDataset', () => {
  const toy = generateToyTask({ seed: 1, count: 4 });

  it('is null when the model reads the inputs and predicts the outputs', () => {
    expect(fitsDataset({ inputDim: 4, outputDim: 6 }, toy)).toBeNull();
  });

  it('says which side differs, inputs first', () => {
    expect(fitsDataset({ inputDim: 784, outputDim: 10 }, toy)).toBe(
      'the model reads 784 inputs, but toy:1 has 4',
    );
    expect(fitsDataset({ inputDim: 4, outputDim: 3 }, toy)).toBe(
      'the model has 3 outputs, but toy:1 has 6 targets',
    );
    expect(
      fitsDataset(
        { inputDim: 4, outputDim: 3 },
        { name: 'idx:/data', kind: 'classification', inputDim: 4, outputDim: 10 },
      ),
    ).toBe('the model has 3 outputs, but idx:/data has 10 classes');
  });
});

describe('fitsBundledMnist', () => {
  it('agrees with the loaded digits without loading them', async () => {
    const mnist = await loadBundledMnist();
    for (const model of [
      { inputDim: 784, outputDim: 10 },
      { inputDim: 784, outputDim: 3 },
      { inputDim: 100, outputDim: 10 },
    ]) {
      expect(fitsBundledMnist(model)).toBe(fitsDataset(model, mnist));
    }
    expect(fitsBundledMnist({ inputDim: 784, outputDim: 10 })).toBeNull();
    expect(fitsBundledMnist({ inputDim: 784, outputDim: 3 })).toBe(
      'the model has 3 outputs, but mnist has 10 classes',
    );
  });
});
