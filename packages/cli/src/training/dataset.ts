import type { ModelConfig } from '@bilinear-lab/core';
import {
  type Dataset,
  DatasetError,
  fitsDataset,
  formatDatasetSpec,
  LOCAL_DATASET_KINDS,
  type LocalDatasetSpec,
  loadDataset,
  parseDatasetSpec,
} from '@bilinear-lab/datasets';
import { CliInputError } from '../errors.js';
import { trainingInputAt } from './input-errors.js';

/** loadDataset, with every problem (unknown spec, missing or malformed IDX file) an input error. */
export function openDataset(spec: string | LocalDatasetSpec): Promise<Dataset> {
  const text = typeof spec === 'string' ? spec : formatDatasetSpec(spec);
  return trainingInputAt(`--dataset ${text}`, () => loadDataset(spec));
}

/** Whether --dataset names the toy task, whose small size gets its own defaults; a bad spec is an input error. */
export function isToySpec(spec: string): boolean {
  try {
    return parseDatasetSpec(spec, { allow: LOCAL_DATASET_KINDS }).kind === 'toy';
  } catch (error) {
    if (error instanceof DatasetError)
      throw new CliInputError(`--dataset ${spec}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * Checks that a model (from `where`) can run on a dataset: same inputs, same outputs, and a loss
 * that fits the task (cross-entropy for class labels, MSE for regression targets).
 */
export function checkDatasetFits(config: ModelConfig, dataset: Dataset, spec: string, where: string): void {
  // The dataset goes by the name the user gave it.
  const problem =
    fitsDataset(config, { ...dataset, name: `--dataset ${spec}` }) ??
    ((config.loss === 'cross-entropy') !== (dataset.kind === 'classification')
      ? `the model was trained with ${config.loss} loss, which does not fit --dataset ${spec} (${dataset.kind})`
      : null);
  if (problem !== null) throw new CliInputError(`${where}: ${problem}`);
}
