import { readFile } from 'node:fs/promises';
import { describeConfig } from '@bilinear-lab/core';
import {
  type BackendRequest,
  evaluateParameters,
  fromReferenceLayout,
  networkShapeOf,
  readModelFile,
} from '@bilinear-lab/training';
import { CliInputError, inputAt } from '../errors.js';
import { formatInteger } from '../format.js';
import { DATASET_HELP } from '../options.js';
import { printLine } from '../output.js';
import { activateBackend, type BackendSettings } from './backend.js';
import { checkDatasetFits, openDataset } from './dataset.js';
import { trainingInputAt } from './input-errors.js';

export interface EvaluateFlags {
  dataset?: string;
  backend: BackendRequest;
  json?: boolean;
}

/** `bilinear evaluate`: the model's mean loss and accuracy over the dataset's test split, without noise. */
export async function runEvaluate(
  path: string,
  flags: EvaluateFlags,
  backendSettings: BackendSettings = {},
): Promise<void> {
  const bytes = await inputAt(path, () => readFile(path));
  const model = await trainingInputAt(path, () => readModelFile(bytes));
  const recorded = model.training.dataset;
  const spec = flags.dataset ?? (typeof recorded === 'string' ? recorded : undefined);
  if (spec === undefined) {
    throw new CliInputError(
      `--dataset: missing: ${path} does not say what it was trained on, so name the test data (${DATASET_HELP})`,
    );
  }
  const dataset = await openDataset(spec);
  checkDatasetFits(model.config, dataset, spec, path);
  const choice = await activateBackend(flags.backend, backendSettings);
  const shape = networkShapeOf(model.config);
  const test = await evaluateParameters(
    shape,
    fromReferenceLayout(shape, model.parameters),
    dataset.test,
    dataset.outputDim,
  );
  if (flags.json) {
    printLine(
      JSON.stringify({
        dataset: spec,
        split: 'test',
        samples: dataset.test.count,
        accuracy: test.accuracy,
        loss: test.loss,
        backend: choice.name,
      }),
    );
    return;
  }
  const source =
    model.configSource === 'metadata' ? 'config from the file' : 'config inferred from the tensor shapes';
  const accuracy =
    test.accuracy === null
      ? ''
      : `accuracy ${test.accuracy.toFixed(4)} (${formatInteger(Math.round(test.accuracy * dataset.test.count))} of ${formatInteger(dataset.test.count)}), `;
  printLine(
    [
      `model    ${path}: ${describeConfig(model.config)} (${source})`,
      `test     ${accuracy}loss ${test.loss.toPrecision(4)} on the test split of ${spec} (${formatInteger(dataset.test.count)} samples)`,
    ].join('\n'),
  );
}
