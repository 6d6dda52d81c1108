// The data a model trains and is evaluated on, from its datasetSpec: "mnist" (bundled) or
// "dataset:<id>" (an upload, whose four IDX files are artifacts in Postgres).
import {
  type Dataset,
  IDX_ROLES,
  type IdxBytes,
  type IdxRole,
  idxDatasetFromBytes,
  loadDataset,
} from '@bilinear-lab/datasets';
import type { ArtifactStore, Database } from '@bilinear-lab/db';
import { inputError } from '../jobs/job-errors.js';

const ARTIFACT_COLUMNS = {
  trainImages: 'trainImagesArtifactId',
  trainLabels: 'trainLabelsArtifactId',
  testImages: 'testImagesArtifactId',
  testLabels: 'testLabelsArtifactId',
} as const satisfies Record<IdxRole, string>;

export async function openDataset(db: Database, store: ArtifactStore, spec: string): Promise<Dataset> {
  if (spec === 'mnist') return loadDataset('mnist');
  const id = spec.startsWith('dataset:') ? spec.slice('dataset:'.length) : null;
  if (id === null) throw inputError(`dataset "${spec}" is neither "mnist" nor "dataset:<id>"`);
  const row = await db.dataset.findUnique({ where: { id } });
  if (!row) throw inputError(`dataset ${id} does not exist (was it deleted?)`);
  const files = {} as Record<IdxRole, IdxBytes>;
  for (const role of IDX_ROLES) {
    const artifactId = row[ARTIFACT_COLUMNS[role]];
    const info = await store.info(artifactId);
    if (!info) throw inputError(`dataset ${id}: its ${role} file (artifact ${artifactId}) is missing`);
    files[role] = { name: info.fileName, bytes: await store.read(artifactId) };
  }
  const classes = (row.metadata as { classes?: unknown } | null)?.classes;
  return idxDatasetFromBytes(files, {
    name: spec,
    ...(typeof classes === 'number' ? { classes } : {}),
  });
}

/** The dataset with only its first `count` training samples (the test split stays whole). */
export function firstTrainingSamples(dataset: Dataset, count: number | undefined): Dataset {
  if (count === undefined || count >= dataset.train.count) return dataset;
  const { train, inputDim, outputDim } = dataset;
  return {
    ...dataset,
    train: {
      count,
      inputs: train.inputs.subarray(0, count * inputDim),
      labels: train.labels ? train.labels.subarray(0, count) : null,
      targets: train.targets ? train.targets.subarray(0, count * outputDim) : null,
    },
  };
}
