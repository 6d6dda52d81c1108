// A decomposition's tables as CSV, for a notebook: one row per (output, rank) for the spectra, one
// per k for the truncation analysis. Numbers keep their full precision (JavaScript's shortest
// round-tripping form), so pandas reads back exactly what the API stored.
import type { Decomposition } from './types';

export const CSV_TABLES = ['spectra', 'truncation'] as const;
export type CsvTable = (typeof CSV_TABLES)[number];

/** One field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
function field(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function rows(header: string[], body: (string | number | null)[][]): string {
  return [header, ...body]
    .map((row) => row.map(field).join(','))
    .join('\r\n')
    .concat('\r\n');
}

/**
 * Every eigenvalue of every output, most positive first: `rank` counts from 1 within the output and
 * `rank_fraction` is rank / d, the axis on which models of different widths line up.
 */
export function spectraCsv(decomposition: Pick<Decomposition, 'outputs'>): string {
  const body: (string | number)[][] = [];
  for (const output of decomposition.outputs) {
    const width = output.eigenvalues.length;
    output.eigenvalues.forEach((eigenvalue, at) => {
      body.push([output.index, output.label, at + 1, (at + 1) / width, eigenvalue]);
    });
  }
  return rows(['output', 'label', 'rank', 'rank_fraction', 'eigenvalue'], body);
}

interface Truncation {
  k: number[];
  accuracy: number[];
  fullAccuracy: number;
}

function isTruncation(value: unknown): value is Truncation {
  const candidate = value as Partial<Truncation> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    Array.isArray(candidate.k) &&
    Array.isArray(candidate.accuracy) &&
    typeof candidate.fullAccuracy === 'number'
  );
}

/** The truncation analysis (accuracy with the top k eigenpairs per class); null when not computed. */
export function truncationCsv(decomposition: Pick<Decomposition, 'analyses'>): string | null {
  const truncation = decomposition.analyses.truncation;
  if (!isTruncation(truncation)) return null;
  return rows(
    ['k', 'accuracy', 'full_accuracy', 'drop'],
    truncation.k.map((k, at) => {
      const accuracy = truncation.accuracy[at] ?? null;
      return [
        k,
        accuracy,
        truncation.fullAccuracy,
        accuracy === null ? null : truncation.fullAccuracy - accuracy,
      ];
    }),
  );
}
