// The rows the API creates before it enqueues a job, written directly so the worker's tests need no
// API: a project, a model with its training run, an imported model, a decomposition, and their Job rows.
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  type DecompositionRequest,
  DecompositionRequestSchema,
  decompositionKey,
  type JobPayload,
  jobCatalog,
  type TrainingConfigInput,
  TrainingConfigSchema,
} from '@bilinear-lab/contracts';
import {
  type Dataset,
  datasetChecksum,
  encodeIdx,
  formatDatasetSpec,
  IDX_FILE_NAMES,
  type IdxRole,
} from '@bilinear-lab/datasets';
import { type ArtifactStore, type Database, uniqueKeyText } from '@bilinear-lab/db';
import { formatSubject, subjectOf } from '@bilinear-lab/jobs';

export async function createProject(db: Database, name = 'worker tests'): Promise<string> {
  const project = await db.project.create({ data: { name } });
  return project.id;
}

export interface TrainingJobRows {
  modelId: string;
  runId: string;
  jobId: string;
  payload: JobPayload<'train'>;
}

export async function createTrainingJob(
  db: Database,
  projectId: string,
  config: TrainingConfigInput,
  options: { datasetSpec?: string; name?: string } = {},
): Promise<TrainingJobRows> {
  const full = TrainingConfigSchema.parse(config);
  const modelId = randomUUID();
  const jobId = randomUUID();
  const runId = randomUUID();
  const payload = { jobId, projectId, modelId };
  await db.$transaction([
    db.model.create({
      data: {
        id: modelId,
        projectId,
        name: options.name ?? `model-${modelId.slice(0, 8)}`,
        source: 'trained',
        status: 'queued',
        config: full,
        datasetSpec: options.datasetSpec ?? formatDatasetSpec({ kind: 'mnist' }),
      },
    }),
    db.trainingRun.create({ data: { id: runId, modelId, options: full, jobId } }),
    db.job.create({
      data: {
        id: jobId,
        projectId,
        queue: 'train',
        payload,
        status: 'queued',
        maxAttempts: jobCatalog.train.attempts,
        subject: formatSubject(subjectOf('train', payload)),
      },
    }),
  ]);
  return { modelId, runId, jobId, payload };
}

/** An imported model (status completed) whose checkpoint is `bytes`, as the import route stores it. */
export async function createImportedModel(
  db: Database,
  store: ArtifactStore,
  projectId: string,
  bytes: Uint8Array<ArrayBuffer>,
  config: Record<string, unknown>,
  name = 'imported',
): Promise<{ modelId: string; artifactId: string }> {
  const artifact = await store.put(bytes, { kind: 'checkpoint', fileName: `${name}.safetensors` });
  const model = await db.model.create({
    data: {
      projectId,
      name,
      source: 'imported',
      status: 'completed',
      config: config as object,
      checkpointArtifactId: artifact.id,
    },
  });
  return { modelId: model.id, artifactId: artifact.id };
}

export interface DecompositionJobRows {
  decompositionId: string;
  jobId: string;
  parameters: DecompositionRequest;
  payload: JobPayload<'decompose'>;
}

export async function createDecompositionJob(
  db: Database,
  projectId: string,
  modelId: string,
  request: Partial<DecompositionRequest>,
): Promise<DecompositionJobRows> {
  const parameters = DecompositionRequestSchema.parse(request);
  const decompositionId = randomUUID();
  const jobId = randomUUID();
  const payload = { jobId, projectId, decompositionId };
  await db.$transaction([
    db.decomposition.create({
      data: {
        id: decompositionId,
        projectId,
        modelId,
        parameters,
        parametersKey: uniqueKeyText(decompositionKey(parameters)),
        status: 'queued',
        jobId,
      },
    }),
    db.job.create({
      data: {
        id: jobId,
        projectId,
        queue: 'decompose',
        payload,
        status: 'queued',
        maxAttempts: jobCatalog.decompose.attempts,
        subject: formatSubject(subjectOf('decompose', payload)),
      },
    }),
  ]);
  return { decompositionId, jobId, parameters, payload };
}

/**
 * An uploaded IDX dataset made of the first samples of `source` (pixels as ubyte), its four files
 * stored as artifacts the way the upload route stores them; the training images gzipped.
 */
export async function createUploadedDataset(
  db: Database,
  store: ArtifactStore,
  projectId: string,
  source: Dataset,
  counts: { train: number; test: number },
): Promise<string> {
  const [rows, cols] = source.imageShape ?? [1, source.inputDim];
  const images = (inputs: Float32Array, count: number) =>
    encodeIdx({
      type: 'ubyte',
      shape: [count, rows, cols],
      data: Uint8Array.from(inputs.subarray(0, count * source.inputDim), (pixel) => Math.round(pixel * 255)),
    });
  const labels = (values: Uint8Array | null, count: number) =>
    encodeIdx({ type: 'ubyte', shape: [count], data: (values ?? new Uint8Array(count)).slice(0, count) });
  const files: Record<IdxRole, { name: string; bytes: Uint8Array }> = {
    trainImages: {
      name: `${IDX_FILE_NAMES.trainImages}.gz`,
      bytes: gzipSync(images(source.train.inputs, counts.train)),
    },
    trainLabels: { name: IDX_FILE_NAMES.trainLabels, bytes: labels(source.train.labels, counts.train) },
    testImages: { name: IDX_FILE_NAMES.testImages, bytes: images(source.test.inputs, counts.test) },
    testLabels: { name: IDX_FILE_NAMES.testLabels, bytes: labels(source.test.labels, counts.test) },
  };
  const ids = {} as Record<IdxRole, string>;
  for (const [role, file] of Object.entries(files) as [IdxRole, { name: string; bytes: Uint8Array }][]) {
    ids[role] = (await store.put(new Uint8Array(file.bytes), { kind: 'idx', fileName: file.name })).id;
  }
  const dataset = await db.dataset.create({
    data: {
      projectId,
      name: 'digits',
      checksum: datasetChecksum(source),
      metadata: {
        trainCount: counts.train,
        testCount: counts.test,
        rows,
        cols,
        classes: source.outputDim,
        files: ids,
      },
      trainImagesArtifactId: ids.trainImages,
      trainLabelsArtifactId: ids.trainLabels,
      testImagesArtifactId: ids.testImages,
      testLabelsArtifactId: ids.testLabels,
    },
  });
  return dataset.id;
}
