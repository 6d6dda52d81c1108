// A decomposition's stored results as response bodies: the spectra (Spectrum rows) with the
// analyses, and one output's top-k eigenvectors in JSON, raw float32 or .npy.

import {
  DECOMPOSITION_PAGE,
  type DecompositionQuery,
  type DecompositionView,
  type EigenvectorQuery,
  eigenvectorBlockHeaders,
  type ReadingView,
} from '@bilinear-lab/contracts';
import { encodeNpy } from '@bilinear-lab/core';
import {
  type Database,
  type Decomposition,
  type Eigenvectors,
  type ReadingEntry,
  readFloat32Column,
  readFloat64Column,
  readReadingsColumn,
} from '@bilinear-lab/db';
import { AppError, badRequest, conflict } from '../errors.js';
import { float32RowsJson } from './array-formats.js';
import type { TokenText } from './model-tokenizers.js';

export interface ResponseBody {
  body: Buffer;
  contentType: string;
  headers: Record<string, string>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export async function decompositionBody(
  db: Database,
  decomposition: Decomposition,
  query: DecompositionQuery = {},
): Promise<ResponseBody> {
  const where = { decompositionId: decomposition.id };
  const total = await db.spectrum.count({ where });
  // Small decompositions list every output, as they always have; large ones a page at a time, or
  // just the outputs asked for.
  const chosen = query.outputs;
  const paged =
    chosen === undefined &&
    (query.offset !== undefined || query.limit !== undefined || total > DECOMPOSITION_PAGE);
  const page = { offset: query.offset ?? 0, limit: query.limit ?? DECOMPOSITION_PAGE, total };
  const [spectra, analyses] = await Promise.all([
    db.spectrum.findMany({
      where: chosen === undefined ? where : { ...where, outputIndex: { in: chosen } },
      orderBy: { outputIndex: 'asc' },
      ...(paged ? { skip: page.offset, take: page.limit } : {}),
    }),
    db.analysis.findMany({ where, orderBy: { kind: 'asc' } }),
  ]);
  // A residual block's linear term lives with its model-space eigenvectors.
  const linearTerms = await db.eigenvectors.findMany({
    where: {
      ...where,
      space: 'model',
      linearTerm: { not: null },
      ...(paged || chosen !== undefined
        ? { outputIndex: { in: spectra.map((spectrum) => spectrum.outputIndex) } }
        : {}),
    },
    select: { outputIndex: true, linearTerm: true },
  });
  const linearModel = new Map(
    linearTerms.map((row) => [row.outputIndex, Array.from(readFloat64Column(row.linearTerm as Uint8Array))]),
  );
  const view: DecompositionView = {
    id: decomposition.id,
    modelId: decomposition.modelId,
    jobId: decomposition.jobId,
    status: decomposition.status,
    parameters: decomposition.parameters as DecompositionView['parameters'],
    error: decomposition.error,
    createdAt: decomposition.createdAt.toISOString(),
    completedAt: decomposition.completedAt?.toISOString() ?? null,
    outputs: spectra.map((spectrum) => ({
      index: spectrum.outputIndex,
      label: spectrum.label,
      eigenvalues: Array.from(readFloat64Column(spectrum.eigenvalues)),
      effectiveRank: spectrum.effectiveRank,
      exactness: spectrum.exactness,
      linear_model: linearModel.get(spectrum.outputIndex) ?? null,
    })),
    ...(paged ? { page } : {}),
    analyses: Object.fromEntries(analyses.map((analysis) => [analysis.kind, analysis.result])),
  };
  return { body: Buffer.from(JSON.stringify(view)), contentType: JSON_TYPE, headers: {} };
}

export async function eigenvectorBody(
  db: Database,
  decomposition: Decomposition,
  outputIndex: number,
  query: EigenvectorQuery,
  tokenTextOf: () => Promise<TokenText | null> = async () => null,
): Promise<ResponseBody> {
  if (decomposition.status !== 'completed') {
    throw conflict(
      'not-ready',
      `decomposition ${decomposition.id} is ${decomposition.status}; its eigenvectors exist once it has completed`,
    );
  }
  const row = await db.eigenvectors.findUnique({
    where: {
      decompositionId_outputIndex_space: {
        decompositionId: decomposition.id,
        outputIndex,
        space: query.space,
      },
    },
  });
  if (row === null) throw await missingOutput(db, decomposition.id, outputIndex, query.space);

  const stored = { positive: row.positiveCount, negative: row.negativeCount };
  const maxK = query.sign === 'both' ? Math.max(stored.positive, stored.negative) : stored[query.sign];
  const k = query.k ?? maxK;
  if (k > maxK) {
    throw badRequest(
      'k-too-large',
      `k: at most ${maxK} ${query.sign === 'both' ? 'eigenvectors per sign are' : `${query.sign} eigenvectors are`} stored for output ${outputIndex} of decomposition ${decomposition.id}; ask for k ≤ ${maxK}`,
      { maximum: maxK },
    );
  }
  const dimension = row.dimension;
  const vectors = readFloat32Column(row.vectors);
  const linearTerm = row.linearTerm === null ? null : readFloat64Column(row.linearTerm);
  const eigenvalues = readFloat64Column(row.eigenvalues);
  // Stored rows: positives (descending λ) then negatives (ascending λ); take the first k of each.
  const picked: number[] = [];
  if (query.sign !== 'negative') for (let i = 0; i < Math.min(k, stored.positive); i++) picked.push(i);
  if (query.sign !== 'positive') {
    for (let i = 0; i < Math.min(k, stored.negative); i++) picked.push(stored.positive + i);
  }
  const rows = picked.length;
  // The split of what is returned, from the stored counts (never from the signs of λ).
  const positiveCount = picked.filter((source) => source < stored.positive).length;
  const negativeCount = rows - positiveCount;
  const selected = new Float32Array(rows * dimension);
  const selectedValues = picked.map((source, r) => {
    selected.set(vectors.subarray(source * dimension, (source + 1) * dimension), r * dimension);
    return eigenvalues[source] as number;
  });

  if (query.format === 'json') {
    const json =
      `{"outputIndex":${outputIndex},"space":${JSON.stringify(query.space)},"dimension":${dimension},` +
      `"eigenvalues":${JSON.stringify(selectedValues)},"positiveCount":${positiveCount},` +
      `"negativeCount":${negativeCount},"vectors":${float32RowsJson(selected, rows, dimension)},` +
      `"linearTerm":${linearTerm === null ? 'null' : JSON.stringify(Array.from(linearTerm))}` +
      `${row.readings === null ? '' : `,"readings":${JSON.stringify(await readingsOf(row, picked, tokenTextOf))}`}}`;
    return { body: Buffer.from(json), contentType: JSON_TYPE, headers: {} };
  }
  const headers = eigenvectorBlockHeaders({
    dimension,
    eigenvalues: selectedValues,
    positiveCount,
    negativeCount,
    linearTerm,
  });
  if (query.format === 'f32') {
    return {
      body: Buffer.from(selected.buffer, selected.byteOffset, selected.byteLength),
      contentType: 'application/octet-stream',
      headers,
    };
  }
  const fileName = `decomposition-${decomposition.id}-output-${outputIndex}-${query.space}.npy`;
  return {
    body: Buffer.from(encodeNpy(selected, [rows, dimension])),
    contentType: 'application/octet-stream',
    headers: { ...headers, 'content-disposition': `attachment; filename="${fileName}"` },
  };
}

/** A language model's rows as read (tokens with their text, or input features), in the order picked. */
async function readingsOf(
  row: Eigenvectors,
  picked: readonly number[],
  tokenTextOf: () => Promise<TokenText | null>,
): Promise<ReadingView[]> {
  const space = row.readingSpace === 'features' ? 'features' : 'tokens';
  const stored = readReadingsColumn(row.readings as Uint8Array, row.readingEntries ?? 1);
  const tokenText = space === 'tokens' ? await tokenTextOf() : null;
  const entries = (list: readonly ReadingEntry[]) =>
    list.map(({ index, value }) => {
      const token = tokenText?.(index);
      return token === null || token === undefined ? { index, value } : { index, value, token };
    });
  return picked.map((source) => {
    const reading = stored[source];
    if (reading === undefined) throw new Error(`readings of output ${row.outputIndex} lack row ${source}`);
    return { space, top: entries(reading.top), bottom: entries(reading.bottom) };
  });
}

async function missingOutput(db: Database, decompositionId: string, outputIndex: number, space: string) {
  const outputs = await db.spectrum.findMany({
    where: { decompositionId },
    select: { outputIndex: true },
    orderBy: { outputIndex: 'asc' },
  });
  const indices = outputs.map((output) => output.outputIndex);
  if (!indices.includes(outputIndex)) {
    const listed =
      indices.length > 20
        ? `${indices.slice(0, 20).join(', ')}, … (${indices.length} in all)`
        : indices.join(', ');
    return new AppError(
      404,
      'not-found',
      `decomposition ${decompositionId} has no output ${outputIndex} (its outputs: ${listed || 'none'})`,
    );
  }
  const languageModel =
    space === 'input'
      ? ' (a language model’s are stored in model space, space=model, with their readings as tokens)'
      : '';
  return new AppError(
    404,
    'not-found',
    `decomposition ${decompositionId} stored no ${space}-space eigenvectors for output ${outputIndex}${languageModel}`,
  );
}
