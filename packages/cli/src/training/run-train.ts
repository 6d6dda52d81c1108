import { readFile } from 'node:fs/promises';
import { describeConfig, type Gate, parseSafetensors } from '@bilinear-lab/core';
import {
  AdamWError,
  type BackendRequest,
  CHECKPOINT_METADATA_KEY,
  modelConfigOf,
  networkShapeFor,
  type ReadTrainingCheckpoint,
  readCheckpoint,
  runSchedule,
  ScheduleError,
  TrainingCancelledError,
  type TrainingResult,
  type TrainingState,
  toReferenceLayout,
  train,
  writeModelFile,
} from '@bilinear-lab/training';
import { CliInputError, CliInterruptedError, inputAt } from '../errors.js';
import { formatBytes, formatInteger } from '../format.js';
import { note, printLine, writeFileAtomic } from '../output.js';
import { activateBackend, type BackendSettings, defaultThreads } from './backend.js';
import { checkpointBytes, initialState, stateFromCheckpoint } from './checkpoint-state.js';
import { checkDatasetFits, isToySpec, openDataset } from './dataset.js';
import { trainingInputAt } from './input-errors.js';
import {
  FIXED_ON_RESUME,
  flagOf,
  type RunSettings,
  settingsFromCheckpoint,
  settingsJson,
  trainingOptionsOf,
} from './run-settings.js';
import { trainingProgress } from './train-progress.js';

/** The `train` flags as commander parses them. */
export interface TrainFlags {
  dataset?: string;
  hidden: number;
  layers: number;
  residual?: boolean;
  gate: Gate;
  epochs: number;
  batch: number;
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  inputNoise: number;
  latentNoise: number;
  seed: number;
  threads?: number;
  backend: BackendRequest;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
  out: string;
  json?: boolean;
  // Language models only (see run-train-language-model.ts).
  tokenizer?: string;
  vocab?: number;
  dModel?: number;
  heads?: number;
  dHidden?: number;
  ctx?: number;
  steps?: number;
  warmup?: number;
  evalEvery?: number;
}

/** The toy task is tiny (4 boolean inputs): a narrow model, and no noise on its 0/1 inputs. */
const TOY_DEFAULTS = { hidden: 6, inputNoise: 0 } as const;

interface Resumed {
  path: string;
  checkpoint: ReadTrainingCheckpoint;
  threads: number | null;
}

/**
 * `bilinear train`: trains, showing progress on stderr, then writes the model and its config JSON
 * atomically. Ctrl-C stops between steps and keeps the last finished epoch in --checkpoint.
 * `given` holds the flags set on the command line (the rest carry defaults).
 */
export async function runTrain(
  flags: TrainFlags,
  given: ReadonlySet<string>,
  backendSettings: BackendSettings = {},
): Promise<void> {
  const resumed = flags.resume === undefined ? null : await readResume(flags.resume);
  const settings = resumed ? resumedSettings(flags, given, resumed) : freshSettings(flags, given);
  const dataset = await openDataset(settings.dataset);
  if (resumed) checkDatasetFits(resumed.checkpoint.config, dataset, settings.dataset, resumed.path);
  checkSchedule(settings, dataset.train.count);
  const choice = await activateBackend(flags.backend, backendSettings);
  const threads = flags.threads ?? resumed?.threads ?? defaultThreads(choice);
  const options = trainingOptionsOf(settings, threads);
  const training = settingsJson(settings, threads);
  const resumeState = resumed ? stateFromCheckpoint(resumed.checkpoint, options, resumed.path) : undefined;
  const shape = resumeState?.shape ?? networkShapeFor(dataset, options);
  if (resumed) {
    note(
      `bilinear: resuming ${resumed.path} after epoch ${resumed.checkpoint.epoch} (step ${resumed.checkpoint.step}), on to epoch ${settings.epochs}`,
    );
  }

  const checkpointPath = flags.checkpoint;
  let savedEpoch: number | null = null;
  const saveCheckpoint = async (state: TrainingState) => {
    if (checkpointPath === undefined || state.epoch === savedEpoch) return;
    await inputAt(checkpointPath, () => writeFileAtomic(checkpointPath, checkpointBytes(state, training)));
    savedEpoch = state.epoch;
  };

  let lastFinished = resumeState ?? initialState(shape, options);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  // Only the first Ctrl-C is ours: a second one, while the checkpoint is written, kills as usual.
  process.once('SIGINT', interrupt);
  const progress = trainingProgress(settings.epochs);
  let result: TrainingResult;
  try {
    result = await train(
      dataset,
      options,
      {
        signal: controller.signal,
        onStep: (metrics) => progress.step(metrics),
        onEpoch: async (metrics, state) => {
          progress.epoch(metrics);
          lastFinished = state;
          if (flags.checkpointEvery !== undefined && state.epoch % flags.checkpointEvery === 0) {
            await saveCheckpoint(state);
          }
        },
      },
      resumeState,
    );
  } catch (error) {
    if (error instanceof AdamWError && error.code === 'non-finite-gradient') {
      throw new CliInputError(
        `--lr ${settings.lr}: training diverged (${error.message}); try a smaller learning rate`,
        { cause: error },
      );
    }
    if (!(error instanceof TrainingCancelledError)) throw error;
    progress.stop();
    const where = `interrupted in epoch ${error.state.epoch + 1} of ${settings.epochs} (after step ${error.state.step})`;
    if (checkpointPath === undefined) {
      throw new CliInterruptedError(
        `${where}; nothing was saved (pass --checkpoint <file> to keep the epochs that finished)`,
      );
    }
    await saveCheckpoint(lastFinished);
    throw new CliInterruptedError(
      `${where}; wrote ${checkpointPath} at the end of epoch ${lastFinished.epoch}, the last one finished; ` +
        `continue with --resume ${checkpointPath}`,
    );
  } finally {
    process.removeListener('SIGINT', interrupt);
    progress.stop();
  }

  const config = modelConfigOf(result.state.shape);
  const model = writeModelFile({
    config,
    parameters: toReferenceLayout(result.state.shape, result.state.parameters),
    training: {
      ...training,
      backend: choice.name,
      test_accuracy: result.testAccuracy,
      test_loss: result.testLoss,
    },
  });
  const configPath = `${flags.out}.config.json`;
  await inputAt(flags.out, () => writeFileAtomic(flags.out, model.safetensors));
  await inputAt(configPath, () => writeFileAtomic(configPath, model.configJson));
  await saveCheckpoint(result.state);

  if (flags.json) {
    note(`bilinear: wrote ${flags.out} and ${configPath}`);
    printLine(
      JSON.stringify({
        test_accuracy: result.testAccuracy,
        test_loss: result.testLoss,
        epochs: result.state.epoch,
        samples_per_s: Math.round(result.samplesPerSecond),
        backend: choice.name,
        seconds: Number(result.seconds.toFixed(3)),
      }),
    );
    return;
  }
  const accuracy = result.testAccuracy === null ? '' : `accuracy ${result.testAccuracy.toFixed(4)}, `;
  const continued = resumed ? `, continued from epoch ${resumed.checkpoint.epoch}` : '';
  printLine(
    [
      `model    ${flags.out} (${formatBytes(model.safetensors.length)}) and ${configPath}`,
      `network  ${describeConfig(config)}`,
      `trained  ${result.state.epoch} epochs on ${settings.dataset}${continued}: ${result.seconds.toFixed(1)} s, ` +
        `${formatInteger(Math.round(result.samplesPerSecond))} samples/s, backend ${choice.name} with ${threads} thread${threads === 1 ? '' : 's'}`,
      `test     ${accuracy}loss ${result.testLoss.toPrecision(4)} (${formatInteger(dataset.test.count)} samples)`,
    ].join('\n'),
  );
}

/** A schedule the run cannot have (a warm-up as long as the run) is the flags' error, found before training. */
function checkSchedule(settings: RunSettings, trainCount: number): void {
  try {
    runSchedule(trainCount, {
      epochs: settings.epochs,
      batchSize: settings.batch,
      learningRate: settings.lr,
      warmupSteps: settings.warmupSteps,
    });
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    const flag = SCHEDULE_FLAGS[error.setting];
    const where = flag === undefined ? `--dataset ${settings.dataset}` : flagOf(flag);
    throw new CliInputError(`${where}: ${error.problem}`, { cause: error });
  }
}

/** The flag behind each setting runSchedule can refuse. */
const SCHEDULE_FLAGS: Partial<Record<string, keyof RunSettings>> = {
  warmupSteps: 'warmupSteps',
  epochs: 'epochs',
  batchSize: 'batch',
};

async function readResume(path: string): Promise<Resumed> {
  const bytes = await inputAt(path, () => readFile(path));
  const { metadata } = await inputAt(path, () => parseSafetensors(bytes));
  if (!Object.hasOwn(metadata, CHECKPOINT_METADATA_KEY)) {
    throw new CliInputError(
      `${path}: not a training checkpoint (no optimizer state in it: a model file?); train --checkpoint <file> writes checkpoints`,
    );
  }
  const checkpoint = await trainingInputAt(path, () => readCheckpoint(bytes));
  const { threads } = settingsFromCheckpoint(checkpoint.config, checkpoint.trainingOptions, path);
  return { path, checkpoint, threads };
}

function freshSettings(flags: TrainFlags, given: ReadonlySet<string>): RunSettings {
  const dataset = flags.dataset as string;
  const toy = isToySpec(dataset);
  return {
    dataset,
    hidden: toy && !given.has('hidden') ? TOY_DEFAULTS.hidden : flags.hidden,
    layers: flags.layers,
    residual: flags.residual ?? false,
    gate: flags.gate,
    epochs: flags.epochs,
    batch: flags.batch,
    lr: flags.lr,
    weightDecay: flags.weightDecay,
    warmupSteps: flags.warmupSteps,
    inputNoise: toy && !given.has('inputNoise') ? TOY_DEFAULTS.inputNoise : flags.inputNoise,
    latentNoise: flags.latentNoise,
    seed: flags.seed,
  };
}

/**
 * The checkpoint's settings, with --dataset (e.g. the same IDX files moved elsewhere) and --epochs
 * (to train longer) taken from the command line when given. Any other setting given must equal the
 * checkpoint's: a different one would be a new run, not this one continued.
 */
function resumedSettings(flags: TrainFlags, given: ReadonlySet<string>, resumed: Resumed): RunSettings {
  const { settings: stored } = settingsFromCheckpoint(
    resumed.checkpoint.config,
    resumed.checkpoint.trainingOptions,
    resumed.path,
  );
  const asGiven: RunSettings = { ...stored, ...freshSettings({ ...flags, dataset: stored.dataset }, given) };
  for (const key of FIXED_ON_RESUME) {
    if (given.has(key) && asGiven[key] !== stored[key]) {
      throw new CliInputError(
        `${flagOf(key)} ${String(asGiven[key])}: the run in ${resumed.path} has ${flagOf(key)} ${String(stored[key])}; ` +
          'a resumed run keeps its settings (leave the flag out, or start a new run without --resume)',
      );
    }
  }
  const epochs = given.has('epochs') ? flags.epochs : stored.epochs;
  if (epochs < resumed.checkpoint.epoch) {
    throw new CliInputError(
      `--epochs ${epochs}: the checkpoint ${resumed.path} has already finished ${resumed.checkpoint.epoch} epochs; ask for at least that many`,
    );
  }
  return { ...stored, dataset: flags.dataset ?? stored.dataset, epochs };
}
