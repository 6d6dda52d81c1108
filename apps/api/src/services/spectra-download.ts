// Every spectrum of a completed decomposition as one download, streamed a page of rows at a time
// (a decomposition of every token of a 4096 vocabulary at d = 512 is 16 MB of float64): .npy of
// shape [outputs, d], row r the r-th output in index order, or CSV with the output index first.
import { Readable } from 'node:stream';
import { npyHeader } from '@bilinear-lab/core';
import type { Database, Decomposition } from '@bilinear-lab/db';
import { conflict } from '../errors.js';

/** Spectrum rows read per query. */
const PAGE_ROWS = 256;

export type SpectraFormat = 'npy' | 'csv';

export interface SpectraDownload {
  fileName: string;
  contentType: string;
  /** Exact length for npy (Content-Length); null for CSV. */
  byteLength: number | null;
  body: Readable;
}

export async function spectraDownload(
  db: Database,
  decomposition: Decomposition,
  format: SpectraFormat,
): Promise<SpectraDownload> {
  if (decomposition.status !== 'completed') {
    throw conflict(
      'decomposition-not-ready',
      `decomposition ${decomposition.id} is ${decomposition.status}; its spectra download once it has completed`,
    );
  }
  const decompositionId = decomposition.id;
  const [outputs, first] = await Promise.all([
    db.spectrum.count({ where: { decompositionId } }),
    db.spectrum.findFirst({ where: { decompositionId }, select: { dimension: true } }),
  ]);
  const dimension = first?.dimension ?? 0;
  async function* rows() {
    let after = -1;
    for (;;) {
      const page = await db.spectrum.findMany({
        where: { decompositionId, outputIndex: { gt: after } },
        orderBy: { outputIndex: 'asc' },
        take: PAGE_ROWS,
        select: { outputIndex: true, eigenvalues: true },
      });
      if (page.length === 0) return;
      yield page;
      after = page.at(-1)?.outputIndex as number;
    }
  }
  const name = `spectra-${decompositionId}`;
  if (format === 'npy') {
    const header = npyHeader('float64', [outputs, dimension]);
    async function* npy() {
      yield Buffer.from(header);
      // The stored eigenvalues are little-endian float64 already: the rows go out as they are.
      for await (const page of rows()) yield Buffer.concat(page.map((row) => Buffer.from(row.eigenvalues)));
    }
    return {
      fileName: `${name}.npy`,
      contentType: 'application/octet-stream',
      byteLength: header.length + outputs * dimension * 8,
      body: Readable.from(npy()),
    };
  }
  async function* csv() {
    const columns = Array.from({ length: dimension }, (_, i) => `eigenvalue_${i + 1}`);
    yield `output,${columns.join(',')}\n`;
    for await (const page of rows()) {
      const lines = page.map((row) => {
        const bytes = row.eigenvalues;
        const values = new Float64Array(
          bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
        );
        // String(x) is the shortest decimal that reads back as the same float64.
        return `${row.outputIndex},${Array.from(values, String).join(',')}\n`;
      });
      yield lines.join('');
    }
  }
  return {
    fileName: `${name}.csv`,
    contentType: 'text/csv; charset=utf-8',
    byteLength: null,
    body: Readable.from(csv()),
  };
}
