import type { Dataset } from './dataset.js';
import { DatasetError } from './dataset-error.js';
import { loadIdxDataset } from './idx/load-idx-dataset.js';
import { loadBundledMnist } from './mnist/load-bundled-mnist.js';
import { generateToyTask } from './toy/generate-toy-task.js';

/** The spec forms loadDataset accepts, for help texts and error messages. */
export const DATASET_SPEC_FORMS = [
  "'mnist' (the 10 000 bundled digits, 8 000 train / 2 000 test)",
  "'idx:<dir>' (a directory of MNIST-layout IDX files, plain or .gz)",
  "'toy' or 'toy:<seed>' (the toy boolean task, seed an integer in 0..4294967295)",
];

/** Loads a dataset from a spec: `mnist`, `idx:<dir>`, `toy` or `toy:<seed>`. */
export async function loadDataset(spec: string): Promise<Dataset> {
  if (spec === 'mnist') return loadBundledMnist();
  if (spec.startsWith('idx:') && spec.length > 'idx:'.length) {
    return loadIdxDataset(spec.slice('idx:'.length), { name: spec });
  }
  if (spec === 'toy') return generateToyTask();
  const toy = /^toy:(\d{1,10})$/.exec(spec);
  if (toy?.[1] !== undefined && Number(toy[1]) <= 0xffffffff)
    return generateToyTask({ seed: Number(toy[1]) });
  throw new DatasetError(
    'unknown-dataset',
    `unknown dataset '${spec}': expected one of ${DATASET_SPEC_FORMS.join(', ')}`,
  );
}
