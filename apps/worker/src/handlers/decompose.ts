// The decompose job: what `bilinear decompose` does to a stored model's checkpoint, one output at a
// time (so a cancel is seen between outputs), plus the truncation curve, HOSVD and adversarial masks,
// stored in one transaction that replaces whatever an earlier attempt wrote.
import { type DecompositionRequest, DecompositionRequestSchema } from '@bilinear-lab/contracts';
import {
  type BilinearModel,
  type DecomposeOptions,
  type Decomposition,
  decomposeModel,
  importModel,
  mergeShards,
  parseSafetensors,
} from '@bilinear-lab/core';
import { type Dataset, DatasetError } from '@bilinear-lab/datasets';
import type { Model, Prisma } from '@bilinear-lab/db';
import { openDataset } from '../datasets/open-dataset.js';
import { inputError, isUnrecoverable } from '../jobs/job-errors.js';
import type { JobRun } from '../jobs/job-run.js';
import {
  type AnalysisResult,
  adversarialAnalysis,
  adversarialObstacle,
  hosvdAnalysis,
  hosvdObstacle,
  truncationAnalysis,
  truncationObstacle,
  truncationPairsNeeded,
} from '../results/analyses.js';
import { eigenvectorRows, spectrumRows } from '../results/decomposition-rows.js';

export interface DecomposeJobResult {
  decompositionId: string;
  outputs: number;
  rssBytes: number;
}

/** Random inputs for the exactness check (the CLI's default). */
const EXACTNESS_SAMPLES = 8;
/** Eigenvectors per sign in the HOSVD's components (the core's default): the analysis is JSON. */
const HOSVD_TOP_K = 3;
/** Share of the progress bar for the per-output eigendecompositions. */
const DECOMPOSE_SHARE = 0.8;

export async function decomposeJob(run: JobRun<'decompose'>): Promise<DecomposeJobResult> {
  const { db } = run.context;
  const { decompositionId, projectId } = run.payload;
  const row = await db.decomposition.findUnique({ where: { id: decompositionId }, include: { model: true } });
  if (!row || row.projectId !== projectId) {
    throw inputError(`decomposition ${decompositionId} does not exist in project ${projectId}`);
  }
  const parameters = parseParameters(row.parameters, decompositionId);
  const model = await loadModel(run, row.model);

  // The truncation curve ranks each class's pairs by |λ|, so it needs as many of each sign as its largest k.
  const truncationBlocked = truncationObstacle(model, parameters);
  const pairsPerSign = Math.max(
    parameters.topK,
    truncationBlocked === null ? truncationPairsNeeded(model, parameters.truncationK) : 0,
  );
  const decomposition = await decomposeOutputs(run, model, {
    topK: pairsPerSign,
    exactnessSamples: EXACTNESS_SAMPLES,
    ...(parameters.outputs ? { outputs: parameters.outputs } : {}),
  });

  const analyses: Prisma.AnalysisCreateManyInput[] = [];
  run.progress(DECOMPOSE_SHARE, 'truncation curve');
  // Opened once for the analyses that measure on the test split (the truncation curve, the masks).
  let testData: Promise<TestData> | null = null;
  const openTestData = () => {
    testData ??= openTestDataset(run, row.model, model);
    return testData;
  };
  const truncation: AnalysisResult =
    truncationBlocked === null
      ? await measuredOn(await openTestData(), (data) =>
          truncationAnalysis(model, decomposition, data.dataset, parameters.truncationK, data.spec),
        )
      : { skipped: truncationBlocked };
  analyses.push({ decompositionId, kind: 'truncation', result: truncation });
  if (parameters.hosvd) {
    await run.throwIfCancelled('before the HOSVD');
    run.progress(0.9, 'HOSVD');
    const obstacle = hosvdObstacle(model);
    const result =
      obstacle === null && model.layout === 'image-classifier'
        ? hosvdAnalysis(model, Math.min(parameters.topK, HOSVD_TOP_K))
        : { skipped: obstacle ?? 'not applicable' };
    analyses.push({ decompositionId, kind: 'hosvd', result });
  }
  if (parameters.adversarial) {
    await run.throwIfCancelled('before the adversarial masks');
    run.progress(0.95, 'adversarial masks');
    const obstacle = adversarialObstacle(model, parameters);
    const result: AnalysisResult =
      obstacle === null && model.layout === 'image-classifier'
        ? await measuredOn(await openTestData(), (data) =>
            adversarialAnalysis(model, decomposition, data.dataset, data.spec),
          )
        : { skipped: obstacle ?? 'not applicable' };
    analyses.push({ decompositionId, kind: 'adversarial', result });
  }

  const spectra = spectrumRows(decompositionId, decomposition);
  const eigenvectors = eigenvectorRows(decompositionId, decomposition, parameters.topK);
  await run.throwIfCancelled('before storing the results');
  await run.commit(async (tx) => {
    // An earlier attempt's rows (a retry, or a run whose completion BullMQ never heard of) go first.
    const where = { decompositionId };
    await tx.spectrum.deleteMany({ where });
    await tx.eigenvectors.deleteMany({ where });
    await tx.analysis.deleteMany({ where });
    await tx.spectrum.createMany({ data: spectra });
    await tx.eigenvectors.createMany({ data: eigenvectors });
    await tx.analysis.createMany({ data: analyses });
    await tx.decomposition.update({
      where: { id: decompositionId },
      data: { status: 'completed', error: null, completedAt: new Date() },
    });
  });
  return { decompositionId, outputs: spectra.length, rssBytes: process.memoryUsage().rss };
}

function parseParameters(parameters: unknown, decompositionId: string): DecompositionRequest {
  const parsed = DecompositionRequestSchema.safeParse(parameters);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw inputError(
    `decomposition ${decompositionId}: its stored parameters are invalid (${problems.join('; ')})`,
  );
}

/** The model's checkpoint from the artifact store, as the core's model (the CLI's importModel path). */
async function loadModel(run: JobRun<'decompose'>, model: Model): Promise<BilinearModel> {
  if (model.status !== 'completed' || !model.checkpointArtifactId) {
    throw inputError(`model ${model.id} has no checkpoint to decompose (its status is ${model.status})`);
  }
  const info = await run.context.store.info(model.checkpointArtifactId);
  if (!info)
    throw inputError(`model ${model.id}: its checkpoint (artifact ${model.checkpointArtifactId}) is missing`);
  const bytes = await run.context.store.read(model.checkpointArtifactId);
  const residual = (model.config as { residual?: unknown } | null)?.residual === true;
  try {
    return importModel(parseSafetensors(bytes), { residual });
  } catch (error) {
    throw inputError(
      `model ${model.id}: its checkpoint ${info.fileName} cannot be read (${(error as Error).message})`,
    );
  }
}

/**
 * Decomposes output by output, as shards of one request: merged, they are exactly what one
 * decomposeModel call returns, and between them the job reports progress and sees cancels.
 */
async function decomposeOutputs(
  run: JobRun<'decompose'>,
  model: BilinearModel,
  options: DecomposeOptions,
): Promise<Decomposition> {
  const count = countOutputs(model, options);
  const shards: Decomposition[] = [];
  for (let index = 0; index < count; index++) {
    await run.throwIfCancelled(`after ${index} of ${count} outputs`);
    let shard: Decomposition;
    try {
      shard = decomposeModel(model, { ...options, shard: { index, count } });
    } catch (error) {
      throw inputError(`cannot decompose this model: ${(error as Error).message}`);
    }
    shards.push(shard);
    const label = shard.outputs[0]?.label ?? String(index);
    run.progress((DECOMPOSE_SHARE * (index + 1)) / count, `output ${label} (${index + 1}/${count})`);
  }
  return mergeShards(shards);
}

function countOutputs(model: BilinearModel, options: DecomposeOptions): number {
  if (options.outputs) return options.outputs.length;
  if (model.layout === 'image-classifier') return model.head.rows;
  throw inputError('a language model has one output per token: the decomposition must name its outputs');
}

type TestData = { dataset: Dataset; spec: string } | { skipped: string };

/** The analysis on the model's test data, or why there is none. */
function measuredOn(data: TestData, analysis: (data: { dataset: Dataset; spec: string }) => AnalysisResult) {
  return 'skipped' in data ? { skipped: data.skipped } : analysis(data);
}

/** The dataset the model's accuracy is measured on, when there is one that fits it. */
async function openTestDataset(
  run: JobRun<'decompose'>,
  row: Model,
  model: BilinearModel,
): Promise<TestData> {
  const spec = row.datasetSpec ?? (fitsBundledMnist(model) ? 'mnist' : null);
  if (spec === null) return { skipped: 'the model names no dataset to measure accuracy on' };
  let dataset: Dataset;
  try {
    dataset = await openDataset(run.context.db, run.context.store, spec);
  } catch (error) {
    // The decomposition stands without its analyses when the data is gone or unreadable.
    if (error instanceof DatasetError || isUnrecoverable(error)) {
      return { skipped: `dataset ${spec}: ${(error as Error).message}` };
    }
    throw error;
  }
  if (
    model.layout !== 'image-classifier' ||
    dataset.inputDim !== model.inputDim ||
    dataset.outputDim !== model.head.rows
  ) {
    return { skipped: `dataset ${spec} does not fit the model's inputs and classes` };
  }
  return { dataset, spec };
}

/** An imported model without a dataset is measured on the bundled digits when it has their shape. */
function fitsBundledMnist(model: BilinearModel): boolean {
  return model.layout === 'image-classifier' && model.inputDim === 784 && model.head.rows === 10;
}
