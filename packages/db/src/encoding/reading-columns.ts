// Eigenvectors.readings: a language model's rows as people read them, in binary — per row its
// `entries` largest values (descending) then its `entries` smallest (ascending), each an int32 index
// and a float32 value, little-endian. 8 bytes an entry: a 4096-token decomposition's readings are
// 4 KB per output instead of the 21 KB of JSON that made storing them the slowest part of the job.

export interface ReadingEntry {
  index: number;
  value: number;
}

export interface RowReading {
  top: readonly ReadingEntry[];
  bottom: readonly ReadingEntry[];
}

const ENTRY_BYTES = 8;

/** Every row must list exactly `entries` entries each way (the readings of one decomposition do). */
export function readingsColumn(rows: readonly RowReading[], entries: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(rows.length * 2 * entries * ENTRY_BYTES);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const [r, row] of rows.entries()) {
    for (const list of [row.top, row.bottom]) {
      if (list.length !== entries) {
        throw new RangeError(`reading of row ${r} lists ${list.length} entries, expected ${entries}`);
      }
      for (const { index, value } of list) {
        view.setInt32(at, index, true);
        view.setFloat32(at + 4, value, true);
        at += ENTRY_BYTES;
      }
    }
  }
  return bytes;
}

export function readReadingsColumn(bytes: Uint8Array, entries: number): RowReading[] {
  const rowBytes = 2 * entries * ENTRY_BYTES;
  if (entries < 1 || bytes.byteLength % rowBytes !== 0) {
    throw new RangeError(
      `a readings column of ${bytes.byteLength} bytes does not hold whole rows of 2 × ${entries} entries`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows: RowReading[] = [];
  let at = 0;
  const list = () =>
    Array.from({ length: entries }, () => {
      const entry = { index: view.getInt32(at, true), value: view.getFloat32(at + 4, true) };
      at += ENTRY_BYTES;
      return entry;
    });
  while (at < bytes.byteLength) {
    const top = list();
    rows.push({ top, bottom: list() });
  }
  return rows;
}
