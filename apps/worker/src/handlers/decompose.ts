// The decompose job: what `bilinear decompose` does to a stored model's checkpoint, one output at a
// time (so a cancel is seen between outputs), plus the truncation curve, HOSVD and adversarial masks,
// stored in one transaction that replaces whatever an earlier attempt wrote. Language models go to
// decompose-language-model.ts, which stores as it goes.
import { type DecompositionRequest, DecompositionRequestSchema } from '@bilinear-lab/contracts';
import {
  analysisObstacle,
  type BilinearModel,
  DEFAULT_EXACTNESS_SAMPLES,
  type DecomposeOptions,
  type Decomposition,
  declaredConfigOptions,
  decompositionTarget,
  HOSVD_TOP_K,
  type ImportModelOptions,
  importModel,
  notBilinearReason,
  parseSafetensors,
  type ReferenceForward,
  referenceForward,
  truncationPairsNeeded,
} from '@bilinear-lab/core';
import {
  type Dataset,
  DatasetError,
  fitsBundledMnist,
  fitsDataset,
  formatDatasetSpec,
} from '@bilinear-lab/datasets';
import type { ArtifactInfo, Model, Prisma } from '@bilinear-lab/db';
import { decomposeTargetWithHelper, InteractionHelper } from '@bilinear-lab/threads';
import { openDataset } from '../datasets/open-dataset.js';
import { inputError, isUnrecoverable } from '../jobs/job-errors.js';
import type { JobRun } from '../jobs/job-run.js';
import {
  type AnalysisResult,
  adversarialAnalysis,
  hosvdAnalysis,
  truncationAnalysis,
} from '../results/analyses.js';
import { eigenvectorRows, spectrumRows } from '../results/decomposition-rows.js';
import { type DecomposeRun, decomposeLanguageModel } from './decompose-language-model.js';

export interface DecomposeJobResult {
  decompositionId: string;
  outputs: number;
  rssBytes: number;
}

/** Share of the progress bar for the per-output eigendecompositions. */
const DECOMPOSE_SHARE = 0.8;

/** Also a decompose-shard job's handler: those help with a language model's decomposition. */
export async function decomposeJob(run: DecomposeRun): Promise<DecomposeJobResult> {
  const { db } = run.context;
  const { decompositionId, projectId } = run.payload;
  const row = await db.decomposition.findUnique({ where: { id: decompositionId }, include: { model: true } });
  if (!row || row.projectId !== projectId) {
    throw inputError(`decomposition ${decompositionId} does not exist in project ${projectId}`);
  }
  const parameters = parseParameters(row.parameters, decompositionId);
  const { model, reference, bytes, importOptions } = await loadModel(run, row.model);
  if (model.layout === 'language-model') {
    return decomposeLanguageModel(run, {
      decompositionId,
      parameters,
      row: row.model,
      model,
      modelBytes: bytes,
      importOptions,
    });
  }
  if (run.queue !== 'decompose') {
    throw inputError(`decomposition ${decompositionId}: only a language model's is split into shards`);
  }

  // The truncation curve ranks each class's pairs by |λ|, so it needs as many of each sign as its largest k.
  const truncationBlocked = analysisObstacle(model, 'truncation', parameters);
  const pairsPerSign = Math.max(
    parameters.topK,
    truncationBlocked === null ? truncationPairsNeeded(model, parameters.truncationK) : 0,
  );
  const started = performance.now();
  const builtBefore = interactionHelper().matricesBuilt;
  const decomposition = await decomposeOutputs(run, model, {
    topK: pairsPerSign,
    exactnessSamples: DEFAULT_EXACTNESS_SAMPLES,
    reference,
    ...(parameters.outputs ? { outputs: parameters.outputs } : {}),
  });
  // What the decomposition itself took, apart from the analyses and storing (as `bilinear decompose`
  // reports its own), for the job's log and the platform benchmarks.
  const outputs = decomposition.outputs.length;
  run.emit({
    type: 'log',
    level: 'info',
    message: `decomposed ${outputs} outputs in ${Math.round(performance.now() - started)} ms (the interaction helper built ${interactionHelper().matricesBuilt - builtBefore} of their ${outputs} interaction matrices)`,
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
    const obstacle = analysisObstacle(model, 'hosvd', parameters);
    const result =
      obstacle === null && model.layout === 'image-classifier'
        ? hosvdAnalysis(model, Math.min(parameters.topK, HOSVD_TOP_K))
        : { skipped: obstacle ?? 'not applicable' };
    analyses.push({ decompositionId, kind: 'hosvd', result });
  }
  if (parameters.adversarial) {
    await run.throwIfCancelled('before the adversarial masks');
    run.progress(0.95, 'adversarial masks');
    const obstacle = analysisObstacle(model, 'adversarial', parameters);
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

/**
 * The model's checkpoint from the artifact store, read as the CLI reads a file: gate and residual
 * from the file's own config (the row's residual counts only for an import that recorded none, and
 * must agree otherwise), with the file's own forward pass for the exactness check.
 */
async function loadModel(run: DecomposeRun, model: Model): Promise<LoadedModel> {
  if (model.status !== 'completed' || !model.checkpointArtifactId) {
    throw inputError(`model ${model.id} has no checkpoint to decompose (its status is ${model.status})`);
  }
  const info = await run.context.store.info(model.checkpointArtifactId);
  if (!info)
    throw inputError(`model ${model.id}: its checkpoint (artifact ${model.checkpointArtifactId}) is missing`);
  const options = declaredConfigOptions(model.config);
  const key = `${info.id} ${info.sha256} ${JSON.stringify(options)}`;
  if (recent?.key === key) return recent.loaded;
  const loaded = await readModel(run, model, info, options);
  recent = loaded.bytes.byteLength <= KEPT_CHECKPOINT_BYTES ? { key, loaded } : null;
  return loaded;
}

interface LoadedModel {
  model: BilinearModel;
  reference: ReferenceForward;
  bytes: Uint8Array;
  importOptions: ImportModelOptions;
}

/**
 * The last checkpoint this child process read, parsed: the next decomposition of the same model
 * (the dashboard asks for one after another) skips reading and parsing it — about a fifth of a small
 * model's decomposition. Keyed by the artifact's content hash and the import options; nothing
 * decomposes or analyses a model by changing it.
 */
let recent: { key: string; loaded: LoadedModel } | null = null;
const KEPT_CHECKPOINT_BYTES = 256 << 20;

async function readModel(
  run: DecomposeRun,
  model: Model,
  info: ArtifactInfo,
  options: ImportModelOptions,
): Promise<LoadedModel> {
  const bytes = await run.context.store.read(info.id);
  let imported: { model: BilinearModel; reference: ReferenceForward };
  try {
    const file = parseSafetensors(bytes);
    imported = { model: importModel(file, options), reference: referenceForward(file, options) };
  } catch (error) {
    throw inputError(
      `model ${model.id}: its checkpoint ${info.fileName} cannot be read (${(error as Error).message})`,
    );
  }
  const notBilinear = notBilinearReason(imported.model.gate);
  if (notBilinear !== null) throw inputError(`model ${model.id} cannot be decomposed: ${notBilinear}`);
  return { ...imported, bytes, importOptions: options };
}

/**
 * Every output of the model, one at a time: between outputs the job reports progress and sees
 * cancels. The child process's interaction helper builds each output's Q on a second core meanwhile.
 */
async function decomposeOutputs(
  run: JobRun<'decompose'>,
  model: BilinearModel,
  options: DecomposeOptions,
): Promise<Decomposition> {
  const count = countOutputs(model, options);
  let cancelled: unknown = null;
  try {
    const target = decompositionTarget(model, options);
    return await decomposeTargetWithHelper(interactionHelper(), target, options, {
      beforeOutput: async (index) => {
        try {
          await run.throwIfCancelled(`after ${index} of ${count} outputs`);
        } catch (error) {
          cancelled = error;
          throw error;
        }
      },
      onProgress: (done, total, label) =>
        run.progress((DECOMPOSE_SHARE * done) / total, `output ${label} (${done}/${total})`),
    });
  } catch (error) {
    if (error === cancelled) throw error;
    throw inputError(`cannot decompose this model: ${(error as Error).message}`);
  }
}

/** One per child process, started with its first decomposition and kept warm for the next. */
let helper: InteractionHelper | null = null;

function interactionHelper(): InteractionHelper {
  helper ??= InteractionHelper.start();
  return helper;
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
  // An imported model without a dataset is measured on the bundled digits when it has their shape.
  const spec =
    row.datasetSpec ??
    (model.layout === 'image-classifier' &&
    fitsBundledMnist({ inputDim: model.inputDim, outputDim: model.head.rows }) === null
      ? formatDatasetSpec({ kind: 'mnist' })
      : null);
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
  if (model.layout !== 'image-classifier') {
    return { skipped: `dataset ${spec}: the analyses on test data are for image classifiers` };
  }
  const misfit = fitsDataset({ inputDim: model.inputDim, outputDim: model.head.rows }, dataset);
  if (misfit !== null) return { skipped: `dataset ${spec} does not fit the model: ${misfit}` };
  return { dataset, spec };
}
