import type { NextRequest } from 'next/server';
import { CSV_TABLES, type CsvTable, spectraCsv, truncationCsv } from '@/lib/decomposition-csv';
import { PlatformError, platformRequest, platformWithKey } from '@/lib/platform';
import { sessionKey } from '@/lib/session';
import type { Decomposition } from '@/lib/types';

// A decomposition's spectra or truncation table as a CSV download, built from GET /decompositions/{id}
// with the session's key (a decomposition with more than one page of outputs is read page by page).

export const dynamic = 'force-dynamic';

export async function GET(
  _request: NextRequest,
  context: RouteContext<'/api/decompositions/[decompositionId]/tables/[table]'>,
) {
  const key = await sessionKey();
  if (!key) return errorResponse(401, 'unauthenticated', 'Sign in with an API key first.');
  const { decompositionId, table } = await context.params;
  if (!CSV_TABLES.includes(table as CsvTable)) {
    return errorResponse(404, 'not-found', `no table "${table}"; the tables are ${CSV_TABLES.join(', ')}`);
  }
  try {
    const decomposition = await platformWithKey(key).decomposition(decompositionId);
    const total = decomposition.page?.total ?? decomposition.outputs.length;
    while (decomposition.outputs.length < total) {
      const path = `/api/v1/decompositions/${encodeURIComponent(decompositionId)}?offset=${decomposition.outputs.length}&limit=512`;
      const next = (await (await platformRequest(key, path)).json()) as Decomposition;
      if (next.outputs.length === 0) break;
      decomposition.outputs.push(...next.outputs);
    }
    const csv = table === 'spectra' ? spectraCsv(decomposition) : truncationCsv(decomposition);
    if (csv === null) {
      return errorResponse(404, 'not-computed', 'This decomposition has no truncation analysis.');
    }
    return new Response(csv, {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="decomposition-${decompositionId.slice(0, 8)}-${table}.csv"`,
        'cache-control': 'private, no-store',
      },
    });
  } catch (error) {
    if (error instanceof PlatformError) return errorResponse(error.status, error.code, error.message);
    throw error;
  }
}

function errorResponse(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
