// The evaluate job: a language model's held-out loss (`bilinear lm eval`: core's languageModelLoss,
// the mean next-token cross-entropy) or one of its SAEs' reconstruction and loss recovered (`bilinear
// sae eval`: core's saeQuality) on a corpus of the platform, read as the model's context windows.
// The measures go to the Evaluation row and, in the same commit, to Model.metrics.evaluation or
// SparseAutoencoder.metrics. Nothing is stored before the end: a retry measures again.
import { AnalysisInputError, type HookPoint, languageModelLoss, saeQuality } from '@bilinear-lab/core';
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

  let metrics: Record<string, unknown>;
  try {
    if (sae === null || evaluation.sae === null) {
      const loss = languageModelLoss(model, windows);
      metrics = {
        loss: loss.loss,
        perplexity: loss.perplexity,
        dataset: evaluation.dataset,
        tokens: loss.tokens,
        positions: positionsOf(windows),
        sequences: windows.length,
        measuredAt: new Date().toISOString(),
      };
    } else {
      // The row's layer and hook point (an import checked that config.json agrees).
      const hook = { layer: evaluation.sae.layer, point: evaluation.sae.hookPoint as HookPoint };
      metrics = saeMetrics(saeQuality(model, sae, windows, hook), evaluation.dataset);
    }
  } catch (error) {
    if (error instanceof AnalysisInputError) throw inputError(error.message);
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
