// The train-sae job: what `bilinear sae train` does (the training package's planSaeRun and runSae) with
// the request stored in SparseAutoencoder.training, on a corpus of the platform: the batch MSE of each
// step streams as metrics events, the SAE is measured on the held-out end of the text, and its two
// files in the official layout (model.safetensors as the checkpoint artifact, config.json as
// SparseAutoencoder.config) and the measures are stored in one commit. Nothing is stored before the
// end, so a retry after a crash trains again from the start (the same seed gives the same SAE).
import { type SaeTrainRequest, SaeTrainRequestSchema } from '@bilinear-lab/contracts';
import { type Database, PostgresArtifactStore } from '@bilinear-lab/db';
import {
  ActivationSourceError,
  planSaeRun,
  runSae,
  type SaeRunPlan,
  type SaeRunSettings,
  SaeShapeError,
  SaeTextTooShortError,
  SaeTrainingDivergedError,
  TopKSaeTrainingCancelledError,
} from '@bilinear-lab/training';
import { inputError, JobCancelledError } from '../jobs/job-errors.js';
import type { JobRun } from '../jobs/job-run.js';
import {
  readLanguageModel,
  readModelTokenizer,
  readTokenWindows,
} from '../language-models/language-model-inputs.js';
import { saeMetrics } from '../results/sae-metrics.js';

export interface TrainSaeJobResult {
  saeId: string;
  checkpointArtifactId: string;
  mse: number;
  lossRecovered: number;
}

/** Share of the progress bar for reading the text, and for training; measuring takes the rest. */
const READ_SHARE = 0.05;
const TRAINING_SHARE = 0.85;

export async function trainSaeJob(run: JobRun<'train-sae'>): Promise<TrainSaeJobResult> {
  const { db } = run.context;
  const { saeId, projectId } = run.payload;
  const row = await db.sparseAutoencoder.findUnique({ where: { id: saeId }, include: { model: true } });
  if (row === null || row.projectId !== projectId) {
    throw inputError(`SAE ${saeId} does not exist in project ${projectId}`);
  }
  const request = parseRequest(row.training, saeId);
  const model = await readLanguageModel(run.context, row.model);
  const tokenizer = await readModelTokenizer(run.context, row.model);
  run.progress(0, `reading up to ${request.maxTokens} tokens of ${request.dataset}`);
  const windows = await readTokenWindows(
    run.context,
    model,
    tokenizer,
    request.dataset,
    request.maxTokens,
    projectId,
  );
  await run.throwIfCancelled('before training started');

  const settings: SaeRunSettings = {
    layer: request.layer,
    point: request.point,
    features: row.features,
    k: request.k,
    steps: request.steps,
    tokensTotal: request.tokensTotal,
    batchSize: request.batchSize,
    learningRate: request.learningRate,
    seed: request.seed,
    bufferRows: request.bufferRows,
    evalTokens: request.evalTokens,
  };
  const plan = planOf(windows, model.modelDim, settings, request);
  const { steps } = plan.options;
  run.emit({
    type: 'log',
    level: 'info',
    message: `TopK SAE on layer ${request.layer} ${request.point}: ${row.features} features, k = ${request.k}; ${steps} steps of ${request.batchSize} activations; ${plan.trainPositions} positions to train on, ${plan.heldOutPositions} held out`,
  });
  run.progress(READ_SHARE, 'training');
  let result: Awaited<ReturnType<typeof runSae>>;
  try {
    result = await runSae(model, plan, settings, {
      signal: run.signal,
      onStep: (report) => {
        run.emit({
          type: 'metrics',
          kind: 'step',
          epoch: 1,
          step: report.step,
          totalSteps: report.totalSteps,
          loss: report.mse,
          learningRate: report.learningRate,
          tokensPerSecond: report.tokensPerSecond,
        });
        run.progress(
          READ_SHARE + (TRAINING_SHARE * report.step) / report.totalSteps,
          `step ${report.step}/${report.totalSteps}: MSE ${report.mse.toPrecision(4)}, explained variance ${report.explainedVariance.toFixed(4)}`,
        );
      },
      onEvaluating: () =>
        run.progress(READ_SHARE + TRAINING_SHARE, `measuring on ${plan.heldOutPositions} held-out positions`),
    });
  } catch (error) {
    throw trainingError(error, request);
  }

  const metrics = {
    ...saeMetrics(result.quality, request.dataset),
    training: {
      steps: result.training.steps,
      tokens: result.training.tokens,
      seconds: result.training.seconds,
      trainPositions: plan.trainPositions,
      lastBatchMse: result.training.last?.mse ?? null,
    },
  };
  let checkpointArtifactId = '';
  await run.commit(async (tx) => {
    const store = new PostgresArtifactStore(tx as unknown as Database);
    const artifact = await store.put(result.files.safetensors as Uint8Array<ArrayBuffer>, {
      kind: 'sae',
      fileName: `${row.name.replace(/[^\w.-]+/g, '_') || 'sae'}.safetensors`,
      contentType: 'application/octet-stream',
    });
    checkpointArtifactId = artifact.id;
    await tx.sparseAutoencoder.update({
      where: { id: saeId },
      data: {
        config: JSON.parse(result.files.configJson) as object,
        checkpointArtifactId: artifact.id,
        metrics,
      },
    });
  });
  return {
    saeId,
    checkpointArtifactId,
    mse: result.quality.mse,
    lossRecovered: result.quality.lossRecovered,
  };
}

function parseRequest(training: unknown, saeId: string): SaeTrainRequest {
  const parsed = SaeTrainRequestSchema.safeParse(training);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw inputError(`SAE ${saeId}: its stored training request is invalid (${problems.join('; ')})`);
}

function planOf(
  windows: number[][],
  modelDim: number,
  settings: SaeRunSettings,
  request: SaeTrainRequest,
): SaeRunPlan {
  try {
    return planSaeRun(windows, modelDim, settings);
  } catch (error) {
    if (!(error instanceof SaeTextTooShortError)) throw error;
    throw inputError(
      `dataset ${request.dataset} with maxTokens ${request.maxTokens} gives ${error.sequences} window${error.sequences === 1 ? '' : 's'} of ${error.positions} positions: after holding out evalTokens ${error.heldOut} nothing is left to train on (read more text or lower evalTokens)`,
    );
  }
}

/** The trainer's errors as the job records them. */
function trainingError(error: unknown, request: SaeTrainRequest): unknown {
  if (error instanceof TopKSaeTrainingCancelledError)
    return new JobCancelledError(`after step ${error.step}`);
  if (error instanceof SaeTrainingDivergedError) {
    return inputError(`learningRate ${request.learningRate}: training diverged (${error.message})`);
  }
  if (error instanceof ActivationSourceError) {
    return inputError(
      `dataset ${request.dataset}: ${error.message} (lower batchSize, or read more text with maxTokens)`,
    );
  }
  if (error instanceof SaeShapeError) return inputError(error.message);
  return error;
}
