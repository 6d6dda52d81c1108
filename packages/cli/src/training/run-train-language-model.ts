import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Gate, parseSafetensors } from '@bilinear-lab/core';
import {
  AdamWError,
  CONFIG_FILE,
  DEFAULT_WARMUP,
  isLanguageModelCheckpoint,
  type LanguageModelRunSettings,
  LanguageModelSettingsError,
  LanguageModelShapeError,
  LanguageModelTrainingCancelledError,
  type LanguageModelTrainingOptions,
  type LanguageModelTrainingResult,
  type LanguageModelTrainingState,
  languageModelFolderFiles,
  languageModelParameterCount,
  languageModelRunOptions,
  languageModelRunSteps,
  MODEL_FILE,
  readLanguageModelCheckpoint,
  TOKENIZER_FILE,
  trainLanguageModel,
  writeLanguageModelCheckpoint,
} from '@bilinear-lab/training';
import { CliInputError, CliInterruptedError, inputAt } from '../errors.js';
import { formatBytes, formatInteger } from '../format.js';
import { checkWritableTarget, note, printLine, writeFileAtomic } from '../output.js';
import { activateBackend, type BackendSettings, defaultThreads } from './backend.js';
import { trainingInputAt } from './input-errors.js';
import { type CorpusTokenizer, corpusTokenizer, corpusTokens } from './language-model-corpus.js';
import {
  DEFAULT_VOCAB,
  IMAGE_MODEL_FLAGS,
  LANGUAGE_MODEL_FLAGS,
  parseLanguageModelDataset,
} from './language-model-dataset.js';
import { languageModelProgress } from './language-model-progress.js';
import type { TrainFlags } from './run-train.js';

/** The network flags a fresh language-model run must be given (no defaults: they define the model). */
const REQUIRED = [
  ['layers', '--layers'],
  ['dModel', '--d-model'],
  ['heads', '--heads'],
  ['dHidden', '--d-hidden'],
  ['ctx', '--ctx'],
  ['batch', '--batch'],
] as const;

/** What a run stores in its checkpoint beyond the trainer's state, to rebuild the same token streams. */
interface RunRecord {
  dataset: string;
  tokenizer_json: string;
  tokenizer_source: string;
  eval_every: number | null;
}

/**
 * `bilinear train` for a language model (`--dataset text:<file>|stories`): tokenises the corpus,
 * trains the bilinear transformer, and writes an HF model folder (config.json, model.safetensors,
 * tokenizer.json). `given` holds the flags set on the command line.
 */
export async function runTrainLanguageModel(
  flags: TrainFlags,
  given: ReadonlySet<string>,
  backendSettings: BackendSettings = {},
): Promise<void> {
  for (const [key, [flag, instead]] of Object.entries(IMAGE_MODEL_FLAGS)) {
    if (given.has(key)) throw new CliInputError(`${flag}: is for image and toy models; ${instead}`);
  }
  if (given.has('tokenizer') && given.has('vocab')) {
    throw new CliInputError(
      '--tokenizer and --vocab: give one (a tokenizer.json to use, or the size of one to train)',
    );
  }
  if (given.has('steps') && given.has('epochs')) {
    throw new CliInputError('--steps and --epochs: give one (optimiser steps, or passes over the corpus)');
  }
  if (flags.checkpointEvery !== undefined && flags.checkpoint === undefined) {
    throw new CliInputError('--checkpoint-every: needs --checkpoint <file> to write the checkpoints to');
  }
  const resumed = flags.resume === undefined ? null : await readResume(flags.resume);
  if (resumed === null) {
    const missing: string[] = REQUIRED.filter(([key]) => !given.has(key)).map(([, flag]) => flag);
    if (!given.has('steps') && !given.has('epochs')) missing.push('--steps or --epochs');
    if (missing.length > 0) {
      throw new CliInputError(
        `a language model needs ${missing.join(', ')} (e.g. --layers 2 --d-model 48 --heads 4 --d-hidden 128 --ctx 48 --batch 16 --steps 400)`,
      );
    }
  } else {
    checkResumedFlags(flags, given, resumed);
  }

  const spec = flags.dataset ?? resumed?.run.dataset;
  if (spec === undefined) throw new CliInputError('--dataset: missing');
  const dataset = parseLanguageModelDataset(spec);
  await checkOutputFolder(flags.out);
  if (flags.checkpoint !== undefined) {
    if (join(flags.checkpoint) === join(flags.out)) {
      throw new CliInputError(
        `--checkpoint ${flags.checkpoint}: is also --out; give the checkpoint its own file`,
      );
    }
    await checkWritableTarget(flags.checkpoint);
  }

  const tokenizer: CorpusTokenizer = await corpusTokenizer(
    dataset,
    spec,
    resumed
      ? { json: resumed.run.tokenizer_json, source: resumed.run.tokenizer_source }
      : flags.tokenizer !== undefined
        ? { file: flags.tokenizer }
        : { vocab: flags.vocab ?? DEFAULT_VOCAB },
  );
  const context = resumed?.state.options.shape.context ?? (flags.ctx as number);
  const corpus = await corpusTokens(dataset, spec, tokenizer.tokenizer, context);
  const options = resumed
    ? resumedOptions(resumed, flags, given, corpus.train.length)
    : freshOptions(flags, given, tokenizer, corpus.train.length);
  if (resumed && resumed.state.options.shape.vocabSize !== tokenizer.tokenizer.vocabSize) {
    throw new CliInputError(`${resumed.path}: the checkpoint's tokenizer does not match its model`);
  }
  const evalEvery = resumed
    ? given.has('evalEvery')
      ? flags.evalEvery
      : (resumed.run.eval_every ?? undefined)
    : flags.evalEvery;
  const run: RunRecord = {
    dataset: spec,
    tokenizer_json: tokenizer.json,
    tokenizer_source: tokenizer.source,
    eval_every: evalEvery ?? null,
  };
  if (evalEvery !== undefined) options.evaluateEvery = evalEvery;
  else delete options.evaluateEvery;

  const choice = await activateBackend(flags.backend, backendSettings);
  // Gradient threads: as asked, else as the run being resumed had them, else one per core (up to 4).
  options.threads = flags.threads ?? resumed?.state.options.threads ?? defaultThreads(choice);
  const { shape } = options;
  note(
    `bilinear: ${shape.layers} layer${shape.layers === 1 ? '' : 's'}, d_model ${shape.modelDim}, ${shape.heads} heads, ` +
      `d_hidden ${shape.hiddenDim}, vocabulary ${shape.vocabSize}, context ${shape.context}: ` +
      `${formatInteger(languageModelParameterCount(shape))} parameters; ${options.steps} steps of ${options.batchSize} windows, ` +
      `${options.threads} gradient thread${options.threads === 1 ? '' : 's'}`,
  );
  if (resumed) {
    note(`bilinear: resuming ${resumed.path} after step ${resumed.state.step}, on to step ${options.steps}`);
  }

  const checkpointPath = flags.checkpoint;
  const saveCheckpoint = async (state: LanguageModelTrainingState) => {
    if (checkpointPath === undefined) return;
    const bytes = writeLanguageModelCheckpoint({ state, run: { ...run } });
    await inputAt(checkpointPath, () => writeFileAtomic(checkpointPath, bytes));
  };
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  const progress = languageModelProgress(options.steps);
  let result: LanguageModelTrainingResult;
  try {
    result = await trainLanguageModel(
      corpus,
      options,
      {
        signal: controller.signal,
        onStep: (metrics) => progress.step(metrics),
        onEvaluation: (evaluation) => progress.evaluation(evaluation, options.steps),
        ...(flags.checkpointEvery === undefined
          ? {}
          : { checkpointEvery: flags.checkpointEvery, onCheckpoint: saveCheckpoint }),
      },
      resumed?.state,
    );
  } catch (error) {
    if (error instanceof AdamWError && error.code === 'non-finite-gradient') {
      throw new CliInputError(
        `--lr ${options.learningRate}: training diverged (${error.message}); try a smaller learning rate`,
        {
          cause: error,
        },
      );
    }
    if (!(error instanceof LanguageModelTrainingCancelledError)) throw error;
    progress.stop();
    const where = `interrupted after step ${error.state.step} of ${options.steps}`;
    if (checkpointPath === undefined) {
      throw new CliInterruptedError(
        `${where}; nothing was saved (pass --checkpoint <file> to keep the steps taken)`,
      );
    }
    await saveCheckpoint(error.state);
    throw new CliInterruptedError(
      `${where}; wrote ${checkpointPath}; continue with --resume ${checkpointPath}`,
    );
  } finally {
    process.removeListener('SIGINT', interrupt);
    progress.stop();
  }

  const files = languageModelFolderFiles(shape, result.state.parameters);
  await inputAt(flags.out, () => mkdir(flags.out, { recursive: true }));
  await inputAt(flags.out, () => writeFileAtomic(join(flags.out, MODEL_FILE), files.safetensors));
  await inputAt(flags.out, () => writeFileAtomic(join(flags.out, CONFIG_FILE), files.configJson));
  await inputAt(flags.out, () => writeFileAtomic(join(flags.out, TOKENIZER_FILE), tokenizer.json));
  await saveCheckpoint(result.state);

  const steps = result.state.step;
  if (flags.json) {
    note(`bilinear: wrote ${flags.out} (${MODEL_FILE}, ${CONFIG_FILE}, ${TOKENIZER_FILE})`);
    printLine(
      JSON.stringify({
        val_loss: result.validationLoss,
        train_loss: result.trainLoss,
        steps,
        tokens_per_s: Math.round(result.tokensPerSecond),
        backend: choice.name,
        seconds: Number(result.seconds.toFixed(3)),
      }),
    );
    return;
  }
  const continued = resumed ? `, continued from step ${resumed.state.step}` : '';
  printLine(
    [
      `model    ${flags.out}: ${MODEL_FILE} (${formatBytes(files.safetensors.length)}), ${CONFIG_FILE}, ${TOKENIZER_FILE}`,
      `network  bilinear transformer, ${shape.layers} layer${shape.layers === 1 ? '' : 's'}, d_model ${shape.modelDim}, ` +
        `${shape.heads} heads, d_hidden ${shape.hiddenDim}, gate ${shape.gate}, vocabulary ${shape.vocabSize}, context ${shape.context}`,
      `trained  ${steps} steps on ${spec}${continued}: ${result.seconds.toFixed(1)} s, ` +
        `${formatInteger(Math.round(result.tokensPerSecond))} tokens/s, backend ${choice.name} with ${options.threads} thread${options.threads === 1 ? '' : 's'}`,
      `loss     held-out ${result.validationLoss.toFixed(4)}, train ${result.trainLoss.toFixed(4)} nats per token`,
    ].join('\n'),
  );
}

interface Resumed {
  path: string;
  state: LanguageModelTrainingState;
  run: RunRecord;
}

/** Whether a checkpoint file (for `--resume` without `--dataset`) holds a language-model run. */
export async function isLanguageModelCheckpointFile(path: string): Promise<boolean> {
  const bytes = await inputAt(path, () => readFile(path));
  const { metadata } = await inputAt(path, () => parseSafetensors(bytes));
  return isLanguageModelCheckpoint(metadata);
}

async function readResume(path: string): Promise<Resumed> {
  const bytes = await inputAt(path, () => readFile(path));
  const { state, run } = await trainingInputAt(path, () => readLanguageModelCheckpoint(bytes));
  const record = run as Partial<RunRecord>;
  if (typeof record.dataset !== 'string' || typeof record.tokenizer_json !== 'string') {
    throw new CliInputError(
      `${path}: the checkpoint names no dataset or tokenizer, so the run cannot be continued`,
    );
  }
  return {
    path,
    state,
    run: {
      dataset: record.dataset,
      tokenizer_json: record.tokenizer_json,
      tokenizer_source:
        typeof record.tokenizer_source === 'string' ? record.tokenizer_source : 'the checkpoint',
      eval_every: typeof record.eval_every === 'number' ? record.eval_every : null,
    },
  };
}

/** A resumed run keeps its settings: a flag that would change one is an error, not a new run. */
function checkResumedFlags(flags: TrainFlags, given: ReadonlySet<string>, resumed: Resumed): void {
  const { options } = resumed.state;
  const stored: Record<string, unknown> = {
    layers: options.shape.layers,
    dModel: options.shape.modelDim,
    heads: options.shape.heads,
    dHidden: options.shape.hiddenDim,
    ctx: options.shape.context,
    gate: options.shape.gate,
    batch: options.batchSize,
    lr: options.learningRate,
    weightDecay: options.weightDecay,
    warmup: options.warmupSteps ?? 0,
    seed: options.seed,
  };
  for (const [key, value] of Object.entries(stored)) {
    const flag = (flags as unknown as Record<string, unknown>)[key];
    if (given.has(key) && flag !== value) {
      const name = `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
      throw new CliInputError(
        `${name} ${String(flag)}: the run in ${resumed.path} has ${name} ${String(value)}; a resumed run keeps its settings (leave the flag out, or start a new run without --resume)`,
      );
    }
  }
  for (const key of ['tokenizer', 'vocab'] as const) {
    if (given.has(key)) {
      throw new CliInputError(
        `${LANGUAGE_MODEL_FLAGS[key]}: a resumed run keeps the tokenizer stored in ${resumed.path}`,
      );
    }
  }
}

function resumedOptions(
  resumed: Resumed,
  flags: TrainFlags,
  given: ReadonlySet<string>,
  trainTokens: number,
): LanguageModelTrainingOptions {
  const { options } = resumed.state;
  const asked = given.has('steps')
    ? flags.steps
    : given.has('epochs')
      ? languageModelRunSteps(trainTokens, options.shape.context, options.batchSize, flags.epochs)
      : options.steps;
  if (asked !== options.steps) {
    throw new CliInputError(
      `${given.has('steps') ? `--steps ${flags.steps}` : `--epochs ${flags.epochs}`}: the run in ${resumed.path} has ${options.steps} steps, ` +
        'and its learning rate decays to 0 at the last one; a resumed run keeps its length',
    );
  }
  return { ...options };
}

function freshOptions(
  flags: TrainFlags,
  given: ReadonlySet<string>,
  tokenizer: CorpusTokenizer,
  trainTokens: number,
): LanguageModelTrainingOptions {
  const settings: LanguageModelRunSettings = {
    layers: flags.layers,
    modelDim: flags.dModel as number,
    heads: flags.heads as number,
    hiddenDim: flags.dHidden as number,
    context: flags.ctx as number,
    gate: flags.gate as Gate,
    batchSize: flags.batch,
    length: given.has('epochs') ? { epochs: flags.epochs } : { steps: flags.steps as number },
    learningRate: flags.lr,
    seed: flags.seed,
    ...(given.has('warmup') ? { warmupSteps: flags.warmup as number } : {}),
    ...(given.has('weightDecay') ? { weightDecay: flags.weightDecay } : {}),
  };
  try {
    return languageModelRunOptions(settings, tokenizer.tokenizer.vocabSize, trainTokens);
  } catch (error) {
    if (error instanceof LanguageModelShapeError) {
      const flag =
        {
          heads: '--heads',
          modelDim: '--d-model',
          context: '--ctx',
          hiddenDim: '--d-hidden',
          layers: '--layers',
        }[error.setting as string] ?? `--${error.setting}`;
      throw new CliInputError(`${flag}: ${error.problem}`, { cause: error });
    }
    if (error instanceof LanguageModelSettingsError && error.setting === 'warmupSteps') {
      const warmup = settings.warmupSteps ?? DEFAULT_WARMUP;
      throw new CliInputError(`--warmup ${warmup}: ${error.problem}`, { cause: error });
    }
    throw error;
  }
}

/** --out names a folder: it may exist (its model files are replaced), but not as a file; its parent must exist. */
async function checkOutputFolder(path: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info !== null && !info.isDirectory()) {
    throw new CliInputError(
      `--out ${path}: is a file; a language model is written as a folder (config.json, model.safetensors, tokenizer.json)`,
    );
  }
  if (info === null) {
    const parent = await stat(dirname(path)).catch(() => null);
    if (parent === null || !parent.isDirectory()) {
      throw new CliInputError(`--out ${path}: directory ${dirname(path)} does not exist`);
    }
  }
}
