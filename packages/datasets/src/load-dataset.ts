import type { Dataset } from './dataset.js';
import { LOCAL_DATASET_KINDS, type LocalDatasetSpec, parseDatasetSpec } from './dataset-spec.js';
import { loadIdxDataset } from './idx/load-idx-dataset.js';
import { loadBundledMnist } from './mnist/load-bundled-mnist.js';
import { generateToyTask } from './toy/generate-toy-task.js';

/**
 * Loads a dataset on this machine: the bundled digits, an IDX directory or the toy task, given as a
 * spec or its text (`mnist`, `idx:<dir>`, `toy[:<seed>]`; an upload's `dataset:<uuid>` needs the
 * platform's database and is refused here).
 */
export async function loadDataset(spec: string | LocalDatasetSpec): Promise<Dataset> {
  const parsed = typeof spec === 'string' ? parseDatasetSpec(spec, { allow: LOCAL_DATASET_KINDS }) : spec;
  switch (parsed.kind) {
    case 'mnist':
      return loadBundledMnist();
    case 'idx':
      return loadIdxDataset(parsed.dir);
    case 'toy':
      return generateToyTask({ seed: parsed.seed });
  }
}
