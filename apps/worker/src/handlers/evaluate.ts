// The evaluate job: a language model's held-out loss (`bilinear lm eval`: core's languageModelLoss,
// the mean next-token cross-entropy) or one of its SAEs' reconstruction and loss recovered (`bilinear
// sae eval`: core's saeQuality) on a corpus of the platform, read as the model's context windows.
// The measures go to the Evaluation row and, in the same commit, to Model.metrics.evaluation or
// SparseAutoencoder.metrics. Nothing is stored before the end: a retry measures again.
import {
  AnalysisInputError,
  combineSaeQuality,
  type HookPoint,
  LanguageModelForwardError,
  languageModelLoss,
  type SaeQuality,
  saeQuality,
} from '@bilinear-lab/core';
import type { Prisma } from '@bilinear-lab/db';
import { inputError } from '../jobs/job-errors.js';
import type { JobRun } from '../jobs/job-run.js';
import {
  positionsOf,
  readLanguageModel,
  readModelTokenizer,
  readSae,
  readTokenWindows,
} from '../language-models/language-model-inputs.js';
import { saeMetrics } from '../results/sae-metrics.js';

export interface EvaluateJobResult {
  evaluationId: string;
  metrics: Record<string, unknown>;
}

export async function evaluateJob(run: JobRun<'evaluate'>): Promise<EvaluateJobResult> {
  const { db } = run.context;
  const { evaluationId, projectId } = run.payload;
  const evaluation = await db.evaluation.findUnique({
    where: { id: evaluationId },
    include: { model: true, sae: true },
  });
  if (evaluation === null || evaluation.projectId !== projectId) {
    throw inputError(`evaluation ${evaluationId} does not exist in project ${projectId}`);
  }
  const model = await readLanguageModel(run.context, evaluation.model);
  const tokenizer = await readModelTokenizer(run.context, evaluation.model);
  const sae = evaluation.sae === null ? null : await readSae(run.context, evaluation.sae);
  run.progress(0, `reading up to ${evaluation.maxTokens} tokens of ${evaluation.dataset}`);
  const windows = await readTokenWindows(
    run.context,
    model,
    tokenizer,
    evaluation.dataset,
    evaluation.maxTokens,
    projectId,
  );
  await run.throwIfCancelled('before measuring');
  run.progress(0.1, `measuring on ${positionsOf(windows)} positions`);

  // Part by part (the measures combine exactly): progress between parts, and a cancel is seen.
  const parts = partsOf(windows);
  let metrics: Record<string, unknown>;
  try {
    if (sae === null || evaluation.sae === null) {
      let crossEntropy = 0;
      let tokens = 0;
      for (const [index, part] of parts.entries()) {
        const loss = languageModelLoss(model, part);
        crossEntropy += loss.loss * loss.tokens;
        tokens += loss.tokens;
        await betweenParts(run, index, parts.length);
      }
      const loss = crossEntropy / tokens;
      metrics = {
        loss,
        perplexity: Math.exp(loss),
        dataset: evaluation.dataset,
        tokens,
        positions: positionsOf(windows),
        sequences: windows.length,
        measuredAt: new Date().toISOString(),
      };
    } else {
      // The row's layer and hook point (an import checked that config.json agrees).
      const hook = { layer: evaluation.sae.layer, point: evaluation.sae.hookPoint as HookPoint };
      const measured: SaeQuality[] = [];
      for (const [index, part] of parts.entries()) {
        measured.push(saeQuality(model, sae, part, hook));
        await betweenParts(run, index, parts.length);
      }
      metrics = saeMetrics(combineSaeQuality(measured), evaluation.dataset);
    }
  } catch (error) {
    if (error instanceof AnalysisInputError || error instanceof LanguageModelForwardError) {
      throw inputError(error.message);
    }
    throw error;
  }

  await run.commit(async (tx) => {
    const json = metrics as Prisma.InputJsonObject;
    await tx.evaluation.update({
      where: { id: evaluationId },
      data: { metrics: json, completedAt: new Date() },
    });
    if (evaluation.saeId !== null) {
      await tx.sparseAutoencoder.update({ where: { id: evaluation.saeId }, data: { metrics: json } });
      return;
    }
    // The model's other metrics (its training's) stay; the latest evaluation is beside them.
    const current = await tx.model.findUnique({
      where: { id: evaluation.modelId },
      select: { metrics: true },
    });
    const others = (current?.metrics ?? {}) as Prisma.JsonObject;
    await tx.model.update({
      where: { id: evaluation.modelId },
      data: { metrics: { ...others, evaluation: json } },
    });
  });
  return { evaluationId, metrics };
}

/** Positions measured between two progress reports (and cancel checks). */
const PART_POSITIONS = 4096;

/** The windows in consecutive parts of about PART_POSITIONS positions. */
function partsOf(windows: number[][]): number[][][] {
  const parts: number[][][] = [];
  let part: number[][] = [];
  let positions = 0;
  for (const window of windows) {
    part.push(window);
    positions += window.length;
    if (positions >= PART_POSITIONS) {
      parts.push(part);
      part = [];
      positions = 0;
    }
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

async function betweenParts(run: JobRun<'evaluate'>, index: number, count: number): Promise<void> {
  run.progress(0.1 + (0.85 * (index + 1)) / count, `measured part ${index + 1} of ${count}`);
  await run.throwIfCancelled(`after part ${index + 1} of ${count}`);
}
