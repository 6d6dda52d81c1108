// Text for people: sizes, numbers, tables and spectrum sparklines. Machine output is JSON elsewhere.

/** 1234567 → "1,234,567". */
export function formatInteger(value: number): string {
  return value.toLocaleString('en-US');
}

/** Bytes in binary units: "812 B", "200.7 KiB", "1.25 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toPrecision(value < 100 ? 3 : 4)} ${units[unit]}`;
}

/** Three significant digits, plain or in exponent form, keeping the sign: "2.31", "-0.0412", "1.20e-7". */
export function formatValue(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e5) return Number(value.toPrecision(3)).toString();
  return value.toExponential(2);
}

/** Milliseconds for a timing table: "7.04 ms", "38.1 ms", "388 ms", "1022 ms". */
export function formatMilliseconds(ms: number): string {
  return `${ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3)} ms`;
}

const LEVELS = '▁▂▃▄▅▆▇█';

/**
 * A one-line picture of a spectrum: values in order, squeezed into at most `width` cells, each
 * cell showing the value of largest magnitude in its stretch (so a few large eigenvalues at the
 * ends stay visible), scaled from the smallest value (▁) to the largest (█).
 */
export function sparkline(values: ArrayLike<number>, width: number): string {
  const n = values.length;
  if (n === 0 || width < 1) return '';
  const cells = Math.min(n, width);
  const picked: number[] = [];
  for (let c = 0; c < cells; c++) {
    const begin = Math.floor((c * n) / cells);
    const end = Math.floor(((c + 1) * n) / cells);
    let chosen = values[begin] as number;
    for (let i = begin + 1; i < end; i++) {
      const value = values[i] as number;
      if (Math.abs(value) > Math.abs(chosen)) chosen = value;
    }
    picked.push(chosen);
  }
  const low = Math.min(...picked);
  const high = Math.max(...picked);
  const span = high - low;
  return picked
    .map((value) => LEVELS[span > 0 ? Math.round(((value - low) / span) * (LEVELS.length - 1)) : 0])
    .join('');
}

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
