// `bilinear sae train`: a TopK SAE trained on a language model's activations at one layer's hook
// point by the reference procedure, evaluated on held-out text (MSE, explained variance, loss
// recovered), written as an SAE folder in the official layout.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { SaeQuality } from '@bilinear-lab/core';
import {
  ActivationSourceError,
  planSaeRun,
  runSae,
  type SaeFolderFiles,
  type SaeRunPlan,
  type SaeRunResult,
  type SaeRunSettings,
  SaeShapeError,
  SaeTextTooShortError,
  SaeTrainingDivergedError,
  TopKSaeTrainingCancelledError,
  type TopKSaeTrainingResult,
  TRAINABLE_HOOK_POINTS,
  type TrainableHookPoint,
} from '@bilinear-lab/training';
import { readLanguageModel, textSequences } from '../commands/lm.js';
import { CliInputError, CliInterruptedError, inputAt } from '../errors.js';
import { formatInteger } from '../format.js';
import { note, printLine, writeFileAtomic } from '../output.js';
import { saeProgress } from './sae-progress.js';

export interface SaeTrainFlags {
  layer: number;
  point: string;
  tokens?: string;
  corpus?: string;
  tokenizer?: string;
  maxTokens: number;
  features?: number;
  expansion?: number;
  k: number;
  steps?: number;
  tokensTotal?: number;
  batch: number;
  lr: number;
  seed: number;
  buffer?: number;
  evalTokens: number;
  out: string;
  json?: boolean;
}

const MODEL_FILE = 'model.safetensors';
const CONFIG_FILE = 'config.json';

export async function runTrainSae(given: string, flags: SaeTrainFlags): Promise<void> {
  const point = trainablePoint(flags.point);
  if ((flags.features === undefined) === (flags.expansion === undefined)) {
    throw new CliInputError(
      'give the SAE its size: --features <F> or --expansion <E> (F = E · d_model), one of them',
    );
  }
  if (flags.steps !== undefined && flags.tokensTotal !== undefined) {
    throw new CliInputError(
      '--steps and --tokens-total: give one (optimiser steps, or activations to train on)',
    );
  }
  if (flags.buffer !== undefined && flags.buffer < flags.batch) {
    throw new CliInputError(
      `--buffer ${flags.buffer}: the buffer must hold at least one batch (--batch ${flags.batch})`,
    );
  }
  await checkOutputFolder(flags.out);

  const model = await readLanguageModel(given);
  const layers = model.layers.length;
  if (flags.layer >= layers) {
    throw new CliInputError(
      `--layer ${flags.layer}: the model has ${layers} layer${layers === 1 ? '' : 's'} (0..${layers - 1})`,
    );
  }
  const d = model.modelDim;
  const features = flags.features ?? (flags.expansion as number) * d;
  if (flags.k > features) {
    throw new CliInputError(
      `--k ${flags.k}: more than the SAE's ${features} features; k is how many of them are active`,
    );
  }

  const sequences = await textSequences(given, model, flags, 'train on');
  const settings: SaeRunSettings = {
    layer: flags.layer,
    point,
    features,
    k: flags.k,
    steps: flags.steps,
    tokensTotal: flags.tokensTotal,
    batchSize: flags.batch,
    learningRate: flags.lr,
    seed: flags.seed,
    bufferRows: flags.buffer,
    evalTokens: flags.evalTokens,
  };
  const plan = heldOutPlan(sequences, d, settings);
  const { steps, bufferRows } = plan.options;
  const { trainPositions, heldOutPositions } = plan;
  note(
    `bilinear: TopK SAE on layer ${flags.layer} ${point}: ${features} features (×${+(features / d).toFixed(3)} of d_model ${d}), k = ${flags.k}; ` +
      `${steps} steps of ${formatInteger(flags.batch)} activations, lr ${flags.lr}; ` +
      `${formatInteger(trainPositions)} positions to train on, ${formatInteger(heldOutPositions)} held out`,
  );

  // Ctrl-C is heard from here on, before the line that says the long read begins.
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  note(
    `bilinear: reading ${formatInteger(Math.min(bufferRows, trainPositions))} activations through the model into the buffer` +
      (bufferRows >= trainPositions ? ' (all of them: read once, reshuffled every pass)' : ''),
  );
  const progress = saeProgress();
  let run: SaeRunResult;
  try {
    run = await inputAt(given, () =>
      runSae(model, plan, settings, {
        signal: controller.signal,
        onStep: (report) => progress.step(report),
        onEvaluating: () => {
          progress.stop();
          note(`bilinear: evaluating on ${formatInteger(heldOutPositions)} held-out positions`);
        },
      }),
    );
  } catch (error) {
    progress.stop();
    if (error instanceof TopKSaeTrainingCancelledError) {
      throw new CliInterruptedError(`interrupted after step ${error.step} of ${steps}; nothing was written`);
    }
    if (error instanceof SaeTrainingDivergedError) {
      throw new CliInputError(`--lr ${flags.lr}: training diverged (${error.message})`, { cause: error });
    }
    if (error instanceof ActivationSourceError) {
      throw new CliInputError(
        `${flags.corpus ?? flags.tokens}: ${error.message} (lower --batch, or give more text or --max-tokens)`,
        { cause: error },
      );
    }
    if (error instanceof SaeShapeError) throw new CliInputError(error.message, { cause: error });
    throw error;
  } finally {
    process.removeListener('SIGINT', interrupt);
    progress.stop();
  }
  await writeSaeFolder(flags.out, run.files);
  report(flags, run.quality, run.training, features);
}

function report(
  flags: SaeTrainFlags,
  quality: SaeQuality,
  result: TopKSaeTrainingResult,
  features: number,
): void {
  if (flags.json) {
    note(`bilinear: wrote ${flags.out} (${MODEL_FILE}, ${CONFIG_FILE})`);
    printLine(
      JSON.stringify({
        mse: quality.mse,
        explained_variance: quality.explainedVariance,
        loss_recovered: quality.lossRecovered,
        loss_clean: quality.lossClean,
        loss_spliced: quality.lossSpliced,
        loss_zero_ablated: quality.lossZeroAblated,
        held_out_positions: quality.positions,
        steps: result.steps,
        tokens: result.tokens,
        features,
        k: flags.k,
        layer: quality.layer,
        point: quality.point,
        seconds: Number(result.seconds.toFixed(3)),
      }),
    );
    return;
  }
  printLine(
    [
      `SAE      ${flags.out}: ${MODEL_FILE}, ${CONFIG_FILE}; layer ${quality.layer} ${quality.point}, ${features} features, k = ${flags.k}`,
      `trained  ${result.steps} steps, ${formatInteger(result.tokens)} activations, ${result.seconds.toFixed(1)} s ` +
        `(${formatInteger(Math.round(result.tokens / Math.max(result.seconds, 1e-9)))} tokens/s)`,
      `held out ${formatInteger(quality.positions)} positions: MSE ${quality.mse.toPrecision(4)}, explained variance ${quality.explainedVariance.toFixed(4)}`,
      `loss     ${quality.lossClean.toFixed(4)} clean, ${quality.lossSpliced.toFixed(4)} spliced, ${quality.lossZeroAblated.toFixed(4)} zero-ablated: ` +
        `loss recovered ${quality.lossRecovered.toFixed(4)}`,
    ].join('\n'),
  );
}

function trainablePoint(point: string): TrainableHookPoint {
  if ((TRAINABLE_HOOK_POINTS as readonly string[]).includes(point)) return point as TrainableHookPoint;
  throw new CliInputError(`--point ${point}: unknown hook point; one of ${TRAINABLE_HOOK_POINTS.join(', ')}`);
}

/** The run's plan, a text too short for --eval-tokens worded with the flags. */
function heldOutPlan(sequences: number[][], modelDim: number, settings: SaeRunSettings): SaeRunPlan {
  try {
    return planSaeRun(sequences, modelDim, settings);
  } catch (error) {
    if (!(error instanceof SaeTextTooShortError)) throw error;
    throw new CliInputError(
      `the text gives ${error.sequences} sequence${error.sequences === 1 ? '' : 's'} of ${formatInteger(error.positions)} positions: ` +
        `after holding out --eval-tokens ${error.heldOut} for the evaluation nothing is left to train on (give more text or lower --eval-tokens)`,
      { cause: error },
    );
  }
}

/** Before any work: --out is a folder (or can be made as one) that can be written. */
async function checkOutputFolder(out: string): Promise<void> {
  await inputAt(out, async () => {
    const found = await stat(out).catch(() => null);
    if (found !== null && !found.isDirectory()) {
      throw new CliInputError(
        `--out ${out}: is a file; the SAE is written as a folder (model.safetensors, config.json)`,
      );
    }
    const parent = found === null ? dirname(resolve(out)) : out;
    const info = await stat(parent).catch(() => null);
    if (info === null || !info.isDirectory()) {
      throw new CliInputError(`--out ${out}: its parent folder ${parent} does not exist`);
    }
    await access(parent, constants.W_OK);
  });
}

/**
 * The folder's two files, never half-written: a new folder is written under a temporary name beside
 * it and renamed into place; into an existing folder each file is written atomically.
 */
async function writeSaeFolder(out: string, files: SaeFolderFiles): Promise<void> {
  await inputAt(out, async () => {
    const existing = await stat(out).catch(() => null);
    if (existing?.isDirectory()) {
      await writeFileAtomic(join(out, MODEL_FILE), files.safetensors);
      await writeFileAtomic(join(out, CONFIG_FILE), files.configJson);
      return;
    }
    const temporary = join(
      dirname(resolve(out)),
      `.${basename(resolve(out))}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      await mkdir(temporary);
      await writeFile(join(temporary, MODEL_FILE), files.safetensors);
      await writeFile(join(temporary, CONFIG_FILE), files.configJson);
      await rename(temporary, out);
    } catch (error) {
      await rm(temporary, { recursive: true, force: true });
      throw error;
    }
  });
}
