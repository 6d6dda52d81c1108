// The text half of a benchmark's report: aligned columns and timings people read. (Machine output
// is the JSON line, see report.ts.)

export type Align = 'left' | 'right';

/** Columns padded to their widest cell, two spaces apart; the first row is the header. */
export function renderTable(rows: readonly (readonly string[])[], align: readonly Align[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, c) => {
      widths[c] = Math.max(widths[c] ?? 0, [...cell].length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, c) => {
          const pad = (widths[c] ?? 0) - [...cell].length;
          return align[c] === 'right' ? ' '.repeat(pad) + cell : cell + ' '.repeat(pad);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Milliseconds for a timing table: "7.04 ms", "38.1 ms", "388 ms", "1022 ms". */
export function formatMilliseconds(ms: number): string {
  return `${ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3)} ms`;
}

/** A ratio for a table: "1.23×"; "—" when there is none (no reference on this machine). */
export function formatRatio(ratio: number | null, digits = 2): string {
  return ratio === null ? '—' : `${ratio.toFixed(digits)}×`;
}
