import { describe, expect, it } from 'vitest';
import { spectraCsv, truncationCsv } from './decomposition-csv';

/** A minimal RFC 4180 reader, independent of the writer: quoted fields, doubled quotes, CRLF. */
function parse(csv: string): string[][] {
  const table: string[][] = [];
  let row: string[] = [];
  let value = '';
  let quoted = false;
  for (let at = 0; at < csv.length; at++) {
    const char = csv[at];
    if (quoted) {
      if (char === '"' && csv[at + 1] === '"') {
        value += '"';
        at++;
      } else if (char === '"') quoted = false;
      else value += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(value);
      value = '';
    } else if (char === '\r' && csv[at + 1] === '\n') {
      row.push(value);
      table.push(row);
      row = [];
      value = '';
      at++;
    } else value += char;
  }
  return table;
}

const output = (index: number, label: string, eigenvalues: number[]) => ({
  index,
  label,
  eigenvalues,
  effectiveRank: 1,
  exactness: null,
  linear_model: null,
});

describe('spectraCsv', () => {
  it('writes every eigenvalue of every output with its rank and rank / d, exactly', () => {
    const third = 1 / 3;
    const csv = spectraCsv({
      outputs: [output(0, 'zero', [2.5, third, -1e-17, -4]), output(7, 'say "seven", please', [1, -1])],
    });
    const table = parse(csv);
    expect(table[0]).toEqual(['output', 'label', 'rank', 'rank_fraction', 'eigenvalue']);
    expect(table).toHaveLength(1 + 4 + 2);
    expect(table[2]).toEqual(['0', 'zero', '2', '0.5', String(third)]);
    expect(Number(table[2]?.[4])).toBe(third);
    expect(Number(table[3]?.[4])).toBe(-1e-17);
    expect(table[4]?.slice(2)).toEqual(['4', '1', '-4']);
    // A label with a comma and quotes survives the round trip.
    expect(table[6]).toEqual(['7', 'say "seven", please', '2', '1', '-1']);
  });
});

describe('truncationCsv', () => {
  it('writes one row per k with the drop against the full model; null when not computed', () => {
    const csv = truncationCsv({
      analyses: { truncation: { k: [1, 4], accuracy: [0.5, 0.9], fullAccuracy: 0.95 } },
    });
    expect(parse(csv ?? '')).toEqual([
      ['k', 'accuracy', 'full_accuracy', 'drop'],
      ['1', '0.5', '0.95', String(0.95 - 0.5)],
      ['4', '0.9', '0.95', String(0.95 - 0.9)],
    ]);
    expect(truncationCsv({ analyses: { truncation: { skipped: 'no test set' } } })).toBeNull();
    expect(truncationCsv({ analyses: {} })).toBeNull();
  });
});
