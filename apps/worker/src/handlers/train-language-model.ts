// The train job for a language model: what `bilinear train --dataset stories …` does (a tokenizer
// trained on the corpus or reused, the corpus tokenised, the transformer trained), with the
// settings stored in TrainingRun.options. Step metrics stream as events and metric rows; a
// resumable checkpoint is stored every `checkpointEvery` steps, so that a retry after a crash
// continues from it; the end stores the HF folder (model.safetensors as the checkpoint,
// config.json in config.fileConfig, tokenizer.json as an artifact) in one commit.
import {
  type LanguageModelRunOptions,
  LanguageModelRunOptionsSchema,
  type LanguageModelTrainingConfig,
  languageModelRunSettings,
} from '@bilinear-lab/contracts';
import { inspectLanguageModel, languageModelRecord, parseSafetensors } from '@bilinear-lab/core';
import { type Database, type Model, PostgresArtifactStore, Prisma, type TrainingRun } from '@bilinear-lab/db';
import {
  DEFAULT_VOCAB,
  type LanguageModelDataset,
  loadTokenizer,
  type Tokenizer,
  TokenizerError,
  trainDatasetTokenizer,
} from '@bilinear-lab/text';
import {
  AdamWError,
  CheckpointError,
  LanguageModelSettingsError,
  LanguageModelShapeError,
  LanguageModelTrainingCancelledError,
  type LanguageModelTrainingOptions,
  type LanguageModelTrainingState,
  languageModelFolderFiles,
  languageModelRunOptions,
  readLanguageModelCheckpoint,
  TokenDataError,
  tokenizeDataset,
  trainLanguageModel,
  writeLanguageModelCheckpoint,
} from '@bilinear-lab/training';
import { openLanguageModelCorpus } from '../datasets/open-corpus.js';
import { inputError, JobCancelledError } from '../jobs/job-errors.js';
import type { JobRun } from '../jobs/job-run.js';
import { LanguageModelMetricSeries } from '../results/language-model-metric-series.js';
import { writeLanguageModelResults } from '../results/language-model-results.js';
import { activateBackend, type TrainJobResult } from './train.js';

/** Share of the progress bar before training (tokenizer, corpus) and for training itself. */
const PREPARE_SHARE = 0.05;
const TRAINING_SHARE = 0.9;
/** Live metric rows are written at most this often. */
const METRIC_ROWS_INTERVAL_MS = 1000;
/** Default checkpoint interval: a tenth of the run, at most this many steps. */
const MAX_CHECKPOINT_EVERY = 200;

/** Where the run's resumable checkpoint is, in Model.metrics while the model trains. */
interface RunningMetrics {
  checkpoint?: { artifactId: string; step: number };
}

/** What a checkpoint stores beside the trainer's state to rebuild the same token streams (as the CLI's). */
interface RunRecord {
  dataset: string;
  tokenizer_json: string;
}

export function isLanguageModelRun(options: unknown): boolean {
  return (options as { kind?: unknown } | null)?.kind === 'language-model';
}

export async function trainLanguageModelJob(
  run: JobRun<'train'>,
  model: Model,
  trainingRun: TrainingRun,
): Promise<TrainJobResult> {
  const stored = parseOptions(trainingRun.options, model.id);
  const corpusSource = await openLanguageModelCorpus(run.context, stored.dataset, {
    projectId: model.projectId,
  });
  try {
    return await trainOnCorpus(run, model, trainingRun, stored, corpusSource.dataset);
  } finally {
    await corpusSource.close();
  }
}

async function trainOnCorpus(
  run: JobRun<'train'>,
  model: Model,
  trainingRun: TrainingRun,
  stored: LanguageModelRunOptions,
  dataset: LanguageModelDataset,
): Promise<TrainJobResult> {
  const { db, env } = run.context;
  const { config } = stored;
  const resumed = await readResume(run, model);

  if (resumed) {
    run.emit({ type: 'log', level: 'info', message: `resuming after step ${resumed.state.step}` });
  }
  run.progress(
    0,
    resumed
      ? `resuming after step ${resumed.state.step}`
      : config.tokenizerId !== undefined
        ? `reading tokenizer ${config.tokenizerId}`
        : config.tokenizer === undefined
          ? `training a tokenizer of ${config.vocab ?? DEFAULT_VOCAB} tokens on ${stored.dataset}`
          : `reading the tokenizer of model ${config.tokenizer}`,
  );
  const tokenizerJson =
    resumed?.run.tokenizer_json ??
    (config.tokenizerId !== undefined
      ? await projectTokenizerJson(run, model.projectId, config.tokenizerId)
      : config.tokenizer === undefined
        ? (await trainDatasetTokenizer(dataset, config.vocab ?? DEFAULT_VOCAB)).json
        : await reusedTokenizerJson(run, model.projectId, config.tokenizer));
  const tokenizer = readTokenizer(tokenizerJson, model.id);
  await run.throwIfCancelled('before the corpus was tokenised');
  run.progress(PREPARE_SHARE / 2, `tokenising ${stored.dataset}`);
  const corpus = await tokenizeCorpus(dataset, tokenizer, config.ctx, stored.dataset);
  const options: LanguageModelTrainingOptions = resumed
    ? { ...resumed.state.options }
    : { ...freshOptions(config, tokenizer.vocabSize, corpus.train.length), threads: env.trainThreads };
  if (config.evalEvery !== undefined) options.evaluateEvery = config.evalEvery;
  const checkpointEvery =
    config.checkpointEvery ?? Math.min(MAX_CHECKPOINT_EVERY, Math.max(1, Math.ceil(options.steps / 10)));
  const backend = await activateBackend(env, 'language-model');
  await run.throwIfCancelled('before training started');

  // Rows an earlier attempt streamed past its checkpoint: this attempt trains those steps again.
  const resumedStep = resumed?.state.step ?? 0;
  await db.trainingMetric.deleteMany({ where: { runId: trainingRun.id, step: { gt: resumedStep } } });
  const series = new LanguageModelMetricSeries(trainingRun.id);
  let lastRowsWrite = performance.now();
  const writeRows = () => {
    const rows = series.takeUnsent();
    lastRowsWrite = performance.now();
    if (rows.length === 0) return;
    run.defer(async () => {
      await db.trainingMetric.createMany({ data: rows, skipDuplicates: true });
    }, 'store metric rows');
  };
  const record: RunRecord = { dataset: stored.dataset, tokenizer_json: tokenizerJson };
  let checkpointArtifactId = resumed?.artifactId ?? null;
  const storeCheckpoint = async (state: LanguageModelTrainingState) => {
    const bytes = writeLanguageModelCheckpoint({ state, run: { ...record } }) as Uint8Array<ArrayBuffer>;
    writeRows();
    await run.flush();
    await run.storePart(async (tx) => {
      const store = new PostgresArtifactStore(tx as unknown as Database);
      const artifact = await store.put(bytes, {
        kind: 'training-state',
        fileName: `${model.name}.training-state.safetensors`,
        contentType: 'application/octet-stream',
      });
      const metrics: RunningMetrics = { checkpoint: { artifactId: artifact.id, step: state.step } };
      await tx.model.update({ where: { id: model.id }, data: { metrics: { ...metrics } } });
      if (checkpointArtifactId !== null) {
        await tx.artifact.deleteMany({ where: { id: checkpointArtifactId } });
      }
      checkpointArtifactId = artifact.id;
    });
    run.emit({ type: 'log', level: 'info', message: `checkpoint stored after step ${state.step}` });
  };

  run.progress(PREPARE_SHARE, resumed ? `training from step ${resumedStep}` : 'training');
  let result: Awaited<ReturnType<typeof trainLanguageModel>>;
  try {
    result = await trainLanguageModel(
      corpus,
      options,
      {
        signal: run.signal,
        checkpointEvery,
        onCheckpoint: storeCheckpoint,
        onStep: (metrics) => {
          run.emit(series.step(metrics));
          run.progress(
            PREPARE_SHARE + (TRAINING_SHARE * metrics.step) / metrics.totalSteps,
            `step ${metrics.step}/${metrics.totalSteps}: loss ${metrics.loss.toFixed(4)}, ${Math.round(metrics.tokensPerSecond)} tokens/s`,
          );
          if (performance.now() - lastRowsWrite > METRIC_ROWS_INTERVAL_MS) writeRows();
        },
        onEvaluation: (evaluation) => {
          run.emit(series.evaluation(evaluation, options.steps));
          writeRows();
        },
      },
      resumed?.state,
    );
  } catch (error) {
    if (error instanceof LanguageModelTrainingCancelledError && checkpointArtifactId !== null) {
      await dropCheckpoint(run, model.id, checkpointArtifactId);
    }
    throw trainingError(error, config);
  }

  run.progress(PREPARE_SHARE + TRAINING_SHARE, 'storing the model');
  const files = languageModelFolderFiles(options.shape, result.state.parameters);
  const fileConfig = JSON.parse(files.configJson) as unknown;
  const inspected = inspectLanguageModel(parseSafetensors(files.safetensors), {
    config: fileConfig,
    configName: 'config.json',
  });
  let modelArtifactId = '';
  await run.commit(async (tx) => {
    modelArtifactId = await writeLanguageModelResults(tx, {
      modelId: model.id,
      runId: trainingRun.id,
      record: languageModelRecord(inspected, fileConfig),
      model: { bytes: files.safetensors as Uint8Array<ArrayBuffer>, fileName: `${model.name}.safetensors` },
      tokenizer: { json: tokenizerJson, vocabSize: tokenizer.vocabSize },
      metricRows: series.rows(),
      metrics: {
        validationLoss: result.validationLoss,
        trainLoss: result.trainLoss,
        steps: result.state.step,
        resumedFromStep: resumed ? resumedStep : null,
        tokensPerSecond: result.tokensPerSecond,
        seconds: result.seconds,
        trainTokens: corpus.train.length,
        validationTokens: corpus.validation.length,
      },
      backend: backend.name,
      trainingState: checkpointArtifactId,
    });
  });
  return {
    modelId: model.id,
    checkpointArtifactId: modelArtifactId,
    testAccuracy: null,
    testLoss: result.validationLoss,
    rssBytes: process.memoryUsage().rss,
  };
}

function parseOptions(options: unknown, modelId: string): LanguageModelRunOptions {
  const parsed = LanguageModelRunOptionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw inputError(`model ${modelId}: its stored training options are invalid (${problems.join('; ')})`);
}

/** The trainer's options for a fresh run, by the rule the CLI and the API use. */
function freshOptions(
  config: LanguageModelTrainingConfig,
  vocabSize: number,
  trainTokens: number,
): LanguageModelTrainingOptions {
  try {
    return languageModelRunOptions(languageModelRunSettings(config), vocabSize, trainTokens);
  } catch (error) {
    if (error instanceof LanguageModelShapeError || error instanceof LanguageModelSettingsError) {
      throw inputError(`training options: ${error.message}`);
    }
    throw error;
  }
}

interface Resume {
  artifactId: string;
  state: LanguageModelTrainingState;
  run: RunRecord;
}

/** The checkpoint an earlier attempt stored (Model.metrics.checkpoint), or null to start at step 0. */
async function readResume(run: JobRun<'train'>, model: Model): Promise<Resume | null> {
  const checkpoint = (model.metrics as RunningMetrics | null)?.checkpoint;
  if (checkpoint === undefined || typeof checkpoint.artifactId !== 'string') return null;
  const bytes = await run.context.store.read(checkpoint.artifactId).catch(() => null);
  if (bytes === null) {
    run.context.log.warn(
      `model ${model.id}: its checkpoint ${checkpoint.artifactId} is gone; training from step 0`,
    );
    return null;
  }
  try {
    const { state, run: record } = readLanguageModelCheckpoint(bytes);
    const stored = record as Partial<RunRecord>;
    if (typeof stored.dataset !== 'string' || typeof stored.tokenizer_json !== 'string') {
      throw new CheckpointError('invalid-metadata', 'the checkpoint names no dataset or tokenizer');
    }
    run.context.log.info(`model ${model.id}: resuming from the checkpoint after step ${state.step}`);
    return {
      artifactId: checkpoint.artifactId,
      state,
      run: { dataset: stored.dataset, tokenizer_json: stored.tokenizer_json },
    };
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    run.context.log.warn(
      `model ${model.id}: its checkpoint cannot be read (${error.message}); training from step 0`,
    );
    return null;
  }
}

/**
 * A run cancelled by a user keeps no checkpoint (nothing continues it). One stopped because its
 * worker is closing keeps it: the job runs again, from there.
 */
async function dropCheckpoint(run: JobRun<'train'>, modelId: string, artifactId: string): Promise<void> {
  if (!(await run.context.cancels.isRequested(run.jobId))) return;
  try {
    await run.storePart(async (tx) => {
      await tx.model.update({ where: { id: modelId }, data: { metrics: Prisma.DbNull } });
      await tx.artifact.deleteMany({ where: { id: artifactId } });
    });
  } catch (error) {
    run.context.log.warn(
      `model ${modelId}: its checkpoint ${artifactId} stays (${(error as Error).message})`,
    );
  }
}

/** The tokenizer of another model of the project (an artifact, as import stores it). */
async function reusedTokenizerJson(
  run: JobRun<'train'>,
  projectId: string,
  modelId: string,
): Promise<string> {
  const source = await run.context.db.model.findFirst({ where: { id: modelId, projectId } });
  const artifactId = (source?.config as { tokenizer?: { artifactId?: unknown } | null } | undefined)
    ?.tokenizer?.artifactId;
  if (typeof artifactId !== 'string') {
    throw inputError(`config.tokenizer: model ${modelId} of project ${projectId} has no tokenizer`);
  }
  const bytes = await run.context.store.read(artifactId).catch(() => null);
  if (bytes === null) throw inputError(`config.tokenizer: the tokenizer of model ${modelId} is missing`);
  return Buffer.from(bytes).toString('utf8');
}

/** A tokenizer of the project (uploaded or trained: the Tokenizer table), as its tokenizer.json text. */
async function projectTokenizerJson(
  run: JobRun<'train'>,
  projectId: string,
  tokenizerId: string,
): Promise<string> {
  const row = await run.context.db.tokenizer.findFirst({ where: { id: tokenizerId, projectId } });
  if (row === null)
    throw inputError(`config.tokenizerId: no tokenizer ${tokenizerId} in project ${projectId}`);
  const bytes = await run.context.store.read(row.artifactId).catch(() => null);
  if (bytes === null) throw inputError(`config.tokenizerId: the file of tokenizer ${tokenizerId} is missing`);
  return Buffer.from(bytes).toString('utf8');
}

function readTokenizer(json: string, modelId: string): Tokenizer {
  try {
    return loadTokenizer(json, 'tokenizer.json');
  } catch (error) {
    if (error instanceof TokenizerError) throw inputError(`model ${modelId}: ${error.message}`);
    throw error;
  }
}

async function tokenizeCorpus(
  dataset: LanguageModelDataset,
  tokenizer: Tokenizer,
  context: number,
  spec: string,
) {
  try {
    return await tokenizeDataset(dataset, tokenizer, context);
  } catch (error) {
    if (error instanceof TokenDataError) throw inputError(`dataset ${spec}: ${error.message}`);
    throw error;
  }
}

/** Cancellation and a diverging run as the job errors the run records; anything else as it is. */
function trainingError(error: unknown, config: LanguageModelTrainingConfig): unknown {
  if (error instanceof LanguageModelTrainingCancelledError) {
    return new JobCancelledError(`after step ${error.state.step} of ${error.state.options.steps}`);
  }
  if (error instanceof AdamWError && error.code === 'non-finite-gradient') {
    return inputError(
      `training diverged at learningRate ${config.learningRate} (${error.message}); try a smaller learning rate`,
    );
  }
  return error;
}
