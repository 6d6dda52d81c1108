import { type Align, renderTable } from './table.js';

// A benchmark's report: for people, a heading, an aligned table, notes and the machine line; for
// machines, one JSON line per result (stable keys: scripts, tests and the README read them), printed
// under the table too, or alone with --json.

export interface BenchReport {
  /** Lines above the table: what was timed, and how (none: the table's first row says it). */
  heading?: readonly string[];
  /** The table: rows (the first is the header) and each column's alignment. */
  table: { rows: readonly (readonly string[])[]; align: readonly Align[] };
  /** Lines under the table: how to read it, what the references were. */
  notes?: readonly string[];
  /** machineLine()'s line. */
  machine: string;
  /** What the JSON lines carry, one line each, keys in the order given. */
  results: readonly object[];
}

/** The report's text: every part with --json false, only the JSON lines with --json. */
export function renderReport(report: BenchReport, options: { json?: boolean } = {}): string {
  const lines = report.results.map(jsonLine);
  if (options.json) return lines.join('\n');
  const heading = report.heading ?? [];
  const notes = report.notes ?? [];
  return [
    ...(heading.length > 0 ? [...heading, ''] : []),
    renderTable(report.table.rows, report.table.align),
    '',
    ...notes,
    report.machine,
    ...lines,
  ].join('\n');
}

/**
 * One result as one JSON line, keys in the order given. A number that is not finite (NaN, ±∞)
 * has no JSON form and would silently become null, so it is an error naming its key.
 */
export function jsonLine(result: object): string {
  return JSON.stringify(result, (key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new RangeError(`benchmark result "${key}" is ${value}, which has no JSON form`);
    }
    return value;
  });
}

/** `value` rounded to `digits` decimals, as a number (for the JSON line). */
export function roundTo(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
