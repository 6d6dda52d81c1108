// Text for people: sizes, numbers, tables and spectrum sparklines. Machine output is JSON elsewhere.
// Tables and timings are the benchmark harness's (one renderer for every table the project prints).
export { type Align, formatMilliseconds, renderTable } from '@bilinear-lab/bench';

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
