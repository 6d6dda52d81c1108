// The data a model trains and is evaluated on, from its datasetSpec: the bundled digits or an upload
// (whose four IDX files are artifacts in Postgres), the kinds the platform accepts.
import {
  type Dataset,
  IDX_ROLES,
  type IdxBytes,
  type IdxRole,
  idxDatasetFromBytes,
  loadBundledMnist,
  PLATFORM_DATASET_KINDS,
  parseDatasetSpec,
} from '@bilinear-lab/datasets';
import type { ArtifactStore, Database } from '@bilinear-lab/db';
import { inputError } from '../jobs/job-errors.js';

const ARTIFACT_COLUMNS = {
  trainImages: 'trainImagesArtifactId',
  trainLabels: 'trainLabelsArtifactId',
  testImages: 'testImagesArtifactId',
  testLabels: 'testLabelsArtifactId',
} as const satisfies Record<IdxRole, string>;

/** Throws DatasetError for a spec the platform does not accept, and the job's input error for a lost upload. */
export async function openDataset(db: Database, store: ArtifactStore, spec: string): Promise<Dataset> {
  const parsed = parseDatasetSpec(spec, { allow: PLATFORM_DATASET_KINDS });
  if (parsed.kind === 'mnist') return loadBundledMnist();
  const { id } = parsed;
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
