// The activations job of a completed language-model decomposition: the corpus read once (windows of
// the model's context, at most maxTokens tokens) and run through the model to the decomposed layer's
// MLP (core mlpPositions: its input and output at every position, 2 · T · d float64), then per output
// of the decomposition the top-activating contexts of its direction (u·MLP(x) for a token, the TopK
// code for an output SAE's feature) and of each read stored eigenvector's λ (vᵀx)², an activation
// histogram and the low-rank correlation curve (core lowRankCorrelation over the stored eigenpairs).
// Outputs are stored as they go, BATCH_OUTPUTS per transaction; a retry skips the stored ones.
import {
  ACTIVATION_CONTEXT,
  ACTIVATION_HISTOGRAM_BINS,
  type ActivationHistogramView,
  type ActivationSeriesView,
  type ActivationsRequest,
  ActivationsRequestSchema,
  DecompositionRequestSchema,
  type LowRankCurveView,
} from '@bilinear-lab/contracts';
import {
  type Context,
  directionActivations,
  directionRows,
  eigenvectorActivations,
  lowRankCorrelation,
  type MlpPositions,
  mlpPositions,
  type SparseAutoencoder,
  saeFeatureActivations,
  topContexts,
} from '@bilinear-lab/core';
import { contextsColumn, type Prisma, readFloat32Column, readFloat64Column } from '@bilinear-lab/db';
import { inputError } from '../jobs/job-errors.js';
import type { JobRun } from '../jobs/job-run.js';
import {
  readLanguageModel,
  readModelTokenizer,
  readSae,
  readTokenWindows,
} from '../language-models/language-model-inputs.js';

export interface ActivationsJobResult {
  activationsId: string;
  outputs: number;
  positions: number;
  rssBytes: number;
}

/** Outputs per stored part. */
const BATCH_OUTPUTS = 16;
/** Progress-bar share of reading the corpus and running the model. */
const READ_SHARE = 0.2;
/** Active positions an output needs for its correlation curve (core lowRankCorrelation's minActive). */
const MIN_ACTIVE = 10;

/** The stored eigenpairs of one output in model space (positives descending, then negatives ascending). */
interface StoredPairs {
  positiveCount: number;
  negativeCount: number;
  dimension: number;
  eigenvalues: Float64Array;
  vectors: Float32Array;
}

export async function activationsJob(run: JobRun<'activations'>): Promise<ActivationsJobResult> {
  const { db } = run.context;
  const { activationsId, projectId } = run.payload;
  const row = await db.activationsRun.findUnique({
    where: { id: activationsId },
    include: { decomposition: { include: { model: true } } },
  });
  if (!row || row.projectId !== projectId) {
    throw inputError(`activations ${activationsId} do not exist in project ${projectId}`);
  }
  const parsed = ActivationsRequestSchema.safeParse(row.parameters);
  if (!parsed.success) throw inputError(`activations ${activationsId}: their stored parameters are invalid`);
  const parameters: ActivationsRequest = parsed.data;
  const { decomposition } = row;
  if (decomposition.status !== 'completed') {
    throw inputError(`decomposition ${decomposition.id} is ${decomposition.status}, not completed`);
  }
  const decomposed = DecompositionRequestSchema.safeParse(decomposition.parameters);
  if (!decomposed.success) throw inputError(`decomposition ${decomposition.id}: its parameters are invalid`);
  const { saeOut, saeIn, comparison } = decomposed.data;
  const layer = decomposed.data.layer ?? 0;
  if (saeIn !== undefined) {
    throw inputError(
      `decomposition ${decomposition.id} is over an input SAE's features (DᵀQD): not read here`,
    );
  }

  const modelRow = decomposition.model;
  const model = await readLanguageModel(run.context, modelRow);
  const tokenizer = await readModelTokenizer(run.context, modelRow);
  let sae: SparseAutoencoder | null = null;
  if (saeOut !== undefined) {
    const saeRow = await db.sparseAutoencoder.findUnique({ where: { id: saeOut } });
    if (saeRow === null) throw inputError(`SAE ${saeOut} is gone (deleted after the decomposition)`);
    sae = await readSae(run.context, saeRow);
  }

  const spectra = await db.spectrum.findMany({
    where: { decompositionId: decomposition.id },
    select: { outputIndex: true },
    orderBy: { outputIndex: 'asc' },
  });
  const stored = new Set(
    (await db.activationsOutput.findMany({ where: { activationsId }, select: { outputIndex: true } })).map(
      (output) => output.outputIndex,
    ),
  );
  const total = spectra.length;
  const todo = spectra.map((spectrum) => spectrum.outputIndex).filter((index) => !stored.has(index));

  // The corpus, read once.
  run.progress(0, `reading ${parameters.dataset}`);
  const windows = atMost(
    await readTokenWindows(
      run.context,
      model,
      tokenizer,
      parameters.dataset,
      parameters.maxTokens,
      projectId,
    ),
    parameters.maxTokens,
  );
  await run.throwIfCancelled('after reading the corpus');
  run.progress(READ_SHARE / 2, `running the model over ${windows.reduce((n, w) => n + w.length, 0)} tokens`);
  let positions: MlpPositions;
  try {
    positions = mlpPositions(model, layer, windows);
  } catch (error) {
    throw inputError(`cannot run model ${modelRow.id} at layer ${layer}: ${(error as Error).message}`);
  }
  const count = positions.where.length;
  await run.storePart(async (tx) => {
    await tx.activationsRun.update({ where: { id: activationsId }, data: { positions: count } });
  });
  let done = total - todo.length;
  if (done > 0) {
    run.emit({
      type: 'log',
      level: 'info',
      message: `${done} of ${total} outputs already stored by an earlier attempt`,
    });
  }
  const fraction = () => READ_SHARE + (1 - READ_SHARE) * (total === 0 ? 1 : done / total);
  run.progress(fraction(), `${count} positions read; ${done} of ${total} outputs already stored`);

  const d = model.modelDim;
  for (let start = 0; start < todo.length; start += BATCH_OUTPUTS) {
    await run.throwIfCancelled(`after ${done} of ${total} outputs`);
    const batch = todo.slice(start, start + BATCH_OUTPUTS);
    const directions = sae
      ? null
      : directionRows(model, { kind: 'tokens', tokens: batch, ...(comparison ? { comparison } : {}) }).data;
    const blocks = await storedPairs(run, decomposition.id, batch);
    const rows: Prisma.ActivationsOutputCreateManyInput[] = batch.map((index, j) => {
      const values = sae
        ? saeFeatureActivations(positions, sae, index)
        : directionActivations(positions, (directions as Float64Array).subarray(j * d, (j + 1) * d));
      const pairs = blocks.get(index) ?? null;
      const { series, contexts } = seriesOf(values, positions, windows, pairs, parameters);
      return {
        activationsId,
        outputIndex: index,
        series: series as Prisma.InputJsonValue,
        contexts: contextsColumn(contexts),
        histogram: histogramOf(values) as unknown as Prisma.InputJsonValue,
        correlation: (correlationOf(positions, index, values, pairs) ?? undefined) as
          | Prisma.InputJsonValue
          | undefined,
      };
    });
    await run.storePart(async (tx) => {
      // skipDuplicates: a retry of a part whose transaction did reach the server writes nothing twice.
      await tx.activationsOutput.createMany({ data: rows, skipDuplicates: true });
    });
    done += batch.length;
    run.progress(fraction(), `stored ${done} of ${total} outputs`);
  }
  await run.commit(async (tx) => {
    await tx.activationsRun.update({
      where: { id: activationsId },
      data: { status: 'completed', error: null, completedAt: new Date() },
    });
  });
  return { activationsId, outputs: total, positions: count, rssBytes: process.memoryUsage().rss };
}

/** The windows cut to `maxTokens` tokens in all: the text package's tokenWindows may go past them. */
function atMost(windows: number[][], maxTokens: number): number[][] {
  let left = maxTokens;
  const kept: number[][] = [];
  for (const window of windows) {
    if (left <= 0) break;
    kept.push(window.length > left ? window.slice(0, left) : window);
    left -= window.length;
  }
  return kept;
}

/** The stored model-space eigenpairs of these outputs. */
async function storedPairs(
  run: JobRun<'activations'>,
  decompositionId: string,
  outputs: number[],
): Promise<Map<number, StoredPairs>> {
  const rows = await run.context.db.eigenvectors.findMany({
    where: { decompositionId, space: 'model', outputIndex: { in: outputs } },
  });
  return new Map(
    rows.map((row) => [
      row.outputIndex,
      {
        positiveCount: row.positiveCount,
        negativeCount: row.negativeCount,
        dimension: row.dimension,
        eigenvalues: readFloat64Column(row.eigenvalues),
        vectors: readFloat32Column(row.vectors),
      },
    ]),
  );
}

/**
 * The output's series: its own activation, then the first `eigenvectors` stored eigenvectors of each
 * sign — a positive one's largest λ (vᵀx)² first, a negative one's most negative first.
 */
function seriesOf(
  values: Float64Array,
  positions: MlpPositions,
  windows: number[][],
  pairs: StoredPairs | null,
  parameters: ActivationsRequest,
): { series: Omit<ActivationSeriesView, 'contexts'>[]; contexts: Context[][] } {
  const options = { top: parameters.top, ...ACTIVATION_CONTEXT };
  const series: Omit<ActivationSeriesView, 'contexts'>[] = [{ kind: 'output' }];
  const contexts: Context[][] = [topContexts(values, positions, windows, options)];
  if (pairs === null || pairs.dimension !== positions.inputs.length / Math.max(1, positions.where.length)) {
    return { series, contexts };
  }
  const d = pairs.dimension;
  const read = [
    ...Array.from({ length: Math.min(parameters.eigenvectors, pairs.positiveCount) }, (_, rank) => ({
      row: rank,
      rank,
      sign: 'positive' as const,
    })),
    ...Array.from({ length: Math.min(parameters.eigenvectors, pairs.negativeCount) }, (_, rank) => ({
      row: pairs.positiveCount + rank,
      rank,
      sign: 'negative' as const,
    })),
  ];
  for (const { row, rank, sign } of read) {
    const eigenvalue = pairs.eigenvalues[row] as number;
    const activation = eigenvectorActivations(
      positions,
      pairs.vectors.subarray(row * d, (row + 1) * d),
      eigenvalue,
    );
    series.push({ kind: 'eigenvector', row, sign, rank, eigenvalue });
    if (sign === 'positive') {
      contexts.push(topContexts(activation, positions, windows, options));
    } else {
      // The most negative first: ranked as their opposites, stored with their own sign.
      const flip = (value: number) => (value === 0 ? 0 : -value);
      contexts.push(
        topContexts(activation.map(flip), positions, windows, options).map((context) => ({
          ...context,
          value: flip(context.value),
          values: context.values.map(flip),
        })),
      );
    }
  }
  return { series, contexts };
}

/** ACTIVATION_HISTOGRAM_BINS equal bins over the non-zero values' range; exact zeros counted apart. */
export function histogramOf(values: Float64Array): ActivationHistogramView {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let zeros = 0;
  for (const value of values) {
    if (value === 0) {
      zeros += 1;
      continue;
    }
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const counts = new Array<number>(ACTIVATION_HISTOGRAM_BINS).fill(0);
  if (zeros === values.length) return { min: 0, max: 0, counts, zeros };
  const width = (max - min) / ACTIVATION_HISTOGRAM_BINS;
  for (const value of values) {
    if (value === 0) continue;
    const bin = width === 0 ? 0 : Math.min(ACTIVATION_HISTOGRAM_BINS - 1, Math.floor((value - min) / width));
    counts[bin] = (counts[bin] as number) + 1;
  }
  return { min, max, counts, zeros };
}

/** k = 1, 2, 3, 4, 6, 8, 12, 16, … up to n, and n itself. */
function correlationKs(n: number): number[] {
  const ks = new Set<number>();
  for (let k = 1; k <= n; k *= 2) {
    ks.add(k);
    if (Math.floor(k * 1.5) <= n && k >= 2) ks.add(Math.floor(k * 1.5));
  }
  if (n > 0) ks.add(n);
  return [...ks].sort((a, b) => a - b);
}

/** The low-rank correlation curve over the output's stored eigenpairs; null with too few active positions. */
function correlationOf(
  positions: MlpPositions,
  index: number,
  values: Float64Array,
  pairs: StoredPairs | null,
): LowRankCurveView | null {
  if (pairs === null || pairs.eigenvalues.length === 0) return null;
  let active = 0;
  for (const value of values) if (value !== 0) active += 1;
  if (active <= MIN_ACTIVE) return null;
  const ks = correlationKs(pairs.eigenvalues.length);
  const curve = lowRankCorrelation(
    positions,
    [{ feature: index, eigenvalues: pairs.eigenvalues, vectors: pairs.vectors, activations: values }],
    ks,
    MIN_ACTIVE,
  );
  const r = curve.perFeature[0];
  if (r === undefined) return null;
  return { k: ks, r: r.map((value) => (Number.isFinite(value) ? value : null)), active };
}
