// Reading an activations run back: its status (with the job's progress and how many outputs are
// stored) and its outputs a page at a time, each context's tokens with their text through the
// model's tokenizer. A page is ACTIVATIONS_PAGE outputs by default (≈ 100 KB each at top 20 with 8
// eigenvectors), so a page's first view stays well under 1 MB.
import {
  ACTIVATION_CONTEXT,
  ACTIVATIONS_PAGE,
  type ActivationHistogramView,
  type ActivationSeriesView,
  type ActivationsOutputView,
  type ActivationsPageView,
  type ActivationsQuery,
  ActivationsRequestSchema,
  type ActivationsRunView,
  type LowRankCurveView,
} from '@bilinear-lab/contracts';
import { type ActivationsOutput, type ActivationsRun, readContextsColumn } from '@bilinear-lab/db';
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';
import type { TokenText } from './model-tokenizers.js';

export async function activationsRunView(
  app: FastifyInstance,
  run: ActivationsRun,
): Promise<ActivationsRunView> {
  const [job, stored, total] = await Promise.all([
    app.db.job.findUnique({ where: { id: run.jobId }, select: { progress: true } }),
    app.db.activationsOutput.count({ where: { activationsId: run.id } }),
    app.db.spectrum.count({ where: { decompositionId: run.decompositionId } }),
  ]);
  return {
    id: run.id,
    decompositionId: run.decompositionId,
    status: run.status,
    jobId: run.jobId,
    progress: run.status === 'completed' ? 1 : (job?.progress ?? 0),
    parameters: ActivationsRequestSchema.parse(run.parameters) as ActivationsRunView['parameters'],
    positions: run.positions,
    stored,
    total,
    error: run.error,
    createdAt: run.createdAt.toISOString(),
    completedAt: run.completedAt?.toISOString() ?? null,
  };
}

export async function activationsPage(
  app: FastifyInstance,
  run: ActivationsRun,
  query: ActivationsQuery,
  tokenText: TokenText | null,
): Promise<ActivationsPageView> {
  const view = await activationsRunView(app, run);
  if (query.outputs !== undefined) {
    if (query.offset !== undefined || query.limit !== undefined) {
      throw badRequest('invalid-request', 'querystring.outputs: give outputs or offset/limit, not both');
    }
    const known = await app.db.spectrum.findMany({
      where: { decompositionId: run.decompositionId, outputIndex: { in: query.outputs } },
      select: { outputIndex: true },
    });
    const missing = query.outputs.filter((index) => !known.some((row) => row.outputIndex === index));
    if (missing.length > 0) {
      throw badRequest(
        'invalid-request',
        `querystring.outputs: ${missing.join(', ')} not among decomposition ${run.decompositionId}'s outputs`,
      );
    }
    const rows = await app.db.activationsOutput.findMany({
      where: { activationsId: run.id, outputIndex: { in: query.outputs } },
      orderBy: { outputIndex: 'asc' },
    });
    return { run: view, outputs: rows.map((row) => outputView(row, tokenText)) };
  }
  const offset = query.offset ?? 0;
  const limit = query.limit ?? defaultLimit(view.parameters);
  const rows = await app.db.activationsOutput.findMany({
    where: { activationsId: run.id },
    orderBy: { outputIndex: 'asc' },
    skip: offset,
    take: limit,
  });
  return {
    run: view,
    outputs: rows.map((row) => outputView(row, tokenText)),
    page: { offset, limit, total: view.stored },
  };
}

/** JSON bytes of one stored token of a context (id, text, value) and the first view's budget. */
const TOKEN_BYTES = 40;
const FIRST_VIEW_BYTES = 900_000;

/** ACTIVATIONS_PAGE outputs, or as many as fit a first view under 1 MB at these parameters (at least one). */
function defaultLimit(parameters: ActivationsRunView['parameters']): number {
  const tokens = ACTIVATION_CONTEXT.before + 1 + ACTIVATION_CONTEXT.after;
  const perOutput = (1 + 2 * parameters.eigenvectors) * parameters.top * tokens * TOKEN_BYTES;
  return Math.max(1, Math.min(ACTIVATIONS_PAGE, Math.floor(FIRST_VIEW_BYTES / perOutput)));
}

function outputView(row: ActivationsOutput, tokenText: TokenText | null): ActivationsOutputView {
  const contexts = readContextsColumn(row.contexts);
  const series = row.series as Omit<ActivationSeriesView, 'contexts'>[];
  const textOf = (token: number) => tokenText?.(token) ?? `#${token}`;
  return {
    index: row.outputIndex,
    series: series.map((entry, s) => ({
      ...entry,
      contexts: (contexts[s] ?? []).map((context) => ({
        sequence: context.sequence,
        position: context.position,
        value: context.value,
        focus: context.focus,
        tokens: [...context.tokens],
        ...(tokenText ? { text: context.tokens.map(textOf) } : {}),
        values: [...context.values],
      })),
    })),
    histogram: row.histogram as ActivationHistogramView,
    correlation: (row.correlation ?? null) as LowRankCurveView | null,
  };
}
