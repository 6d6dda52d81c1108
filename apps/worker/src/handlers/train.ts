// The train job: what `bilinear train` does (train, evaluate on the test split, export the model
// file), with the model's stored settings and data, streaming metrics, and results into Postgres.
// A language model's run (TrainingRun.options.kind "language-model") goes to train-language-model.ts.
import { type TrainingConfig, TrainingConfigSchema } from '@bilinear-lab/contracts';
import { DatasetError } from '@bilinear-lab/datasets';
import {
  AdamWError,
  type BackendChoice,
  type BackendRequest,
  modelConfigOf,
  runSchedule,
  SCHEDULE_DESCRIPTION,
  ScheduleError,
  selectBackend,
  TrainingCancelledError,
  type TrainingOptions,
  TrainingOptionsError,
  toReferenceLayout,
  train,
  writeModelFile,
} from '@bilinear-lab/training';
import { firstTrainingSamples, openDataset } from '../datasets/open-dataset.js';
import { inputError, JobCancelledError } from '../jobs/job-errors.js';
import type { JobRun } from '../jobs/job-run.js';
import { MetricSeries } from '../results/metric-series.js';
import { writeTrainingResults } from '../results/training-results.js';
import { isLanguageModelRun, trainLanguageModelJob } from './train-language-model.js';

export interface TrainJobResult {
  modelId: string;
  checkpointArtifactId: string;
  testAccuracy: number | null;
  testLoss: number;
  /** The sandboxed child's resident memory after the job (the memory test watches it stay flat). */
  rssBytes: number;
}

/** Share of the progress bar for training; evaluation and the commit take the rest. */
const TRAINING_SHARE = 0.95;
/** Live metric rows are written at most this often between epochs. */
const METRIC_ROWS_INTERVAL_MS = 1000;

let activeBackend: Promise<BackendChoice> | undefined;

/**
 * Activates the backend once per process (tfjs backends are process-wide). Language-model training
 * reads its gradients synchronously, which webgpu cannot do in Node, so on a webgpu worker it runs on
 * wasm; this child process's next image job switches back.
 */
export async function activateBackend(
  env: { backend: BackendRequest; webgpu: boolean },
  model: 'image' | 'language-model' = 'image',
): Promise<BackendChoice> {
  activeBackend ??= selectBackend(env.backend, { webgpu: env.webgpu });
  const choice = await activeBackend;
  if (choice.name !== 'webgpu') return choice;
  return model === 'language-model' ? selectBackend('wasm') : selectBackend('webgpu');
}

export async function trainJob(run: JobRun<'train'>): Promise<TrainJobResult> {
  const { db, env } = run.context;
  const { modelId, projectId } = run.payload;
  const model = await db.model.findUnique({ where: { id: modelId }, include: { trainingRun: true } });
  if (!model || model.projectId !== projectId) {
    throw inputError(`model ${modelId} does not exist in project ${projectId}`);
  }
  const trainingRun = model.trainingRun;
  if (!trainingRun) throw inputError(`model ${modelId} has no training run to carry out`);
  if (isLanguageModelRun(trainingRun.options)) return trainLanguageModelJob(run, model, trainingRun);
  const config = parseConfig(trainingRun.options, modelId);
  const spec = model.datasetSpec;
  if (!spec) throw inputError(`model ${modelId} names no dataset to train on`);
  const dataset = firstTrainingSamples(await openTrainingData(run, spec), config.trainSubset);
  const options = trainingOptions(config, env.trainThreads);
  checkSchedule(dataset.train.count, options);
  const backend = await activateBackend(env);
  await run.throwIfCancelled('before training started');

  // Rows an earlier attempt streamed: this attempt writes the series anew.
  await db.trainingMetric.deleteMany({ where: { runId: trainingRun.id } });
  const series = new MetricSeries(trainingRun.id);
  let lastRowsWrite = performance.now();
  const writeRows = () => {
    const rows = series.takeUnsent();
    lastRowsWrite = performance.now();
    if (rows.length === 0) return;
    run.defer(async () => {
      await db.trainingMetric.createMany({ data: rows, skipDuplicates: true });
    }, 'store metric rows');
  };

  let result: Awaited<ReturnType<typeof train>>;
  try {
    result = await train(dataset, options, {
      signal: run.signal,
      onStep: (metrics) => {
        run.emit(series.step(metrics));
        run.progress(
          (TRAINING_SHARE * metrics.step) / metrics.totalSteps,
          `epoch ${metrics.epoch + 1}/${config.epochs}, step ${metrics.step}/${metrics.totalSteps}`,
        );
        if (performance.now() - lastRowsWrite > METRIC_ROWS_INTERVAL_MS) writeRows();
      },
      onEpoch: (metrics) => {
        run.emit(series.epoch(metrics));
        writeRows();
      },
    });
  } catch (error) {
    throw trainingError(error, config);
  }

  const exported = writeModelFile({
    config: modelConfigOf(result.state.shape),
    parameters: toReferenceLayout(result.state.shape, result.state.parameters),
    training: {
      ...trainingSettingsJson(config, spec, env.trainThreads),
      backend: backend.name,
      test_accuracy: result.testAccuracy,
      test_loss: result.testLoss,
    },
  });
  const lastEpoch = result.state.history.at(-1);
  run.progress(TRAINING_SHARE, 'storing the checkpoint');
  let checkpointArtifactId = '';
  await run.commit(async (tx) => {
    checkpointArtifactId = await writeTrainingResults(tx, {
      modelId,
      runId: trainingRun.id,
      checkpoint: {
        bytes: exported.safetensors as Uint8Array<ArrayBuffer>,
        fileName: `${model.name}.safetensors`,
      },
      metricRows: series.rows(),
      metrics: {
        testAccuracy: result.testAccuracy,
        testLoss: result.testLoss,
        trainLoss: lastEpoch?.trainLoss ?? null,
        trainAccuracy: lastEpoch?.trainAccuracy ?? null,
        epochs: result.state.epoch,
        seconds: result.seconds,
        samplesPerSecond: result.samplesPerSecond,
      },
      backend: backend.name,
    });
  });
  return {
    modelId,
    checkpointArtifactId,
    testAccuracy: result.testAccuracy,
    testLoss: result.testLoss,
    rssBytes: process.memoryUsage().rss,
  };
}

function parseConfig(options: unknown, modelId: string): TrainingConfig {
  const parsed = TrainingConfigSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw inputError(`model ${modelId}: its stored training options are invalid (${problems.join('; ')})`);
}

/** The dataset a spec names, a malformed upload being the job's input error (no retry helps). */
async function openTrainingData(run: JobRun<'train'>, spec: string) {
  try {
    return await openDataset(run.context.db, run.context.store, spec);
  } catch (error) {
    if (error instanceof DatasetError) throw inputError(`dataset ${spec}: ${error.message}`);
    throw error;
  }
}

/**
 * An impossible schedule (a warm-up as long as the run) is the job's input error, found before any
 * work: a retry would fail the same way.
 */
function checkSchedule(trainCount: number, options: TrainingOptions): void {
  try {
    runSchedule(trainCount, options);
  } catch (error) {
    throw error instanceof ScheduleError ? scheduleInputError(error) : error;
  }
}

function scheduleInputError(error: ScheduleError) {
  return inputError(`training options: config.${error.setting}: ${error.problem}`);
}

/**
 * The engine's options: the stored config as is; the cosine stepped per epoch as the CLI does, the
 * warm-up per optimiser step.
 */
function trainingOptions(config: TrainingConfig, threads: number): TrainingOptions {
  return {
    hiddenDim: config.hiddenDim,
    layers: config.layers,
    residual: config.residual,
    gate: config.gate,
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    weightDecay: config.weightDecay,
    warmupSteps: config.warmupSteps,
    inputNoise: config.inputNoise,
    inputNoiseProbability: config.inputNoiseProbability,
    latentNoise: config.latentNoise,
    seed: config.seed,
    threads,
  };
}

/** Cancellation and bad settings as the job errors the run records; anything else as it is. */
function trainingError(error: unknown, config: TrainingConfig): unknown {
  if (error instanceof TrainingCancelledError) {
    return new JobCancelledError(`in epoch ${error.state.epoch + 1} after step ${error.state.step}`);
  }
  if (error instanceof AdamWError && error.code === 'non-finite-gradient') {
    return inputError(
      `training diverged at learningRate ${config.learningRate} (${error.message}); try a smaller learning rate`,
    );
  }
  if (error instanceof ScheduleError) return scheduleInputError(error);
  if (error instanceof TrainingOptionsError) return inputError(`training options: ${error.message}`);
  return error;
}

/** How the model was trained, in the snake_case "training" object of its config (as the CLI writes it). */
function trainingSettingsJson(config: TrainingConfig, dataset: string, threads: number) {
  return {
    dataset,
    epochs: config.epochs,
    batch_size: config.batchSize,
    learning_rate: config.learningRate,
    weight_decay: config.weightDecay,
    warmup_steps: config.warmupSteps,
    input_noise: config.inputNoise,
    input_noise_probability: config.inputNoiseProbability,
    latent_noise: config.latentNoise,
    seed: config.seed,
    train_subset: config.trainSubset ?? null,
    optimizer: 'AdamW',
    schedule: SCHEDULE_DESCRIPTION,
    threads,
  };
}
