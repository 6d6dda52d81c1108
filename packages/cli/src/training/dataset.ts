import { type Dataset, loadDataset } from '@bilinear-lab/datasets';
import type { ModelConfig } from '@bilinear-lab/training';
import { CliInputError } from '../errors.js';
import { trainingInputAt } from './input-errors.js';

/** loadDataset, with every problem (unknown spec, missing or malformed IDX file) an input error. */
export function openDataset(spec: string): Promise<Dataset> {
  return trainingInputAt(`--dataset ${spec}`, () => loadDataset(spec));
}

/** The `toy` and `toy:<seed>` specs, whose small task gets its own defaults. */
export function isToySpec(spec: string): boolean {
  return spec === 'toy' || spec.startsWith('toy:');
}

/**
 * Checks that a model (from `where`) can run on a dataset: same inputs, same outputs, and a loss
 * that fits the task (cross-entropy for class labels, MSE for regression targets).
 */
export function checkDatasetFits(config: ModelConfig, dataset: Dataset, spec: string, where: string): void {
  const problem =
    config.inputDim !== dataset.inputDim
      ? `the model reads ${config.inputDim} inputs, but --dataset ${spec} has ${dataset.inputDim}`
      : config.outputDim !== dataset.outputDim
        ? `the model has ${config.outputDim} outputs, but --dataset ${spec} has ${dataset.outputDim} ${dataset.kind === 'classification' ? 'classes' : 'targets'}`
        : (config.loss === 'cross-entropy') !== (dataset.kind === 'classification')
          ? `the model was trained with ${config.loss} loss, which does not fit --dataset ${spec} (${dataset.kind})`
          : null;
  if (problem !== null) throw new CliInputError(`${where}: ${problem}`);
}
