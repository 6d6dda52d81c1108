import { describe, expect, it } from 'vitest';
import { machineLine } from './machine.js';
import { type BenchReport, jsonLine, renderReport, roundTo } from './report.js';
import { formatRatio, renderTable } from './table.js';

const report: BenchReport = {
  heading: ['what was timed'],
  table: {
    rows: [
      ['', 'ours', 'ratio'],
      ['n = 8', '1.00 ms', formatRatio(0.5)],
      ['n = 16', '12.0 ms', formatRatio(null)],
    ],
    align: ['left', 'right', 'right'],
  },
  notes: ['ratio = ours / numpy'],
  machine: 'machine: 2 cores',
  results: [
    { n: 8, ours_ms: 1, ratio: 0.5 },
    { n: 16, ours_ms: 12, ratio: null },
  ],
};

describe('the report', () => {
  it('prints one JSON line per result with --json, keys in the order given, and nothing else', () => {
    const lines = renderReport(report, { json: true }).split('\n');
    expect(lines).toEqual(['{"n":8,"ours_ms":1,"ratio":0.5}', '{"n":16,"ours_ms":12,"ratio":null}']);
    expect(Object.keys(JSON.parse(lines[0] as string))).toEqual(['n', 'ours_ms', 'ratio']);
  });

  it('prints the heading, the aligned table, the notes, the machine line and then the JSON lines', () => {
    expect(renderReport(report).split('\n')).toEqual([
      'what was timed',
      '',
      '           ours  ratio',
      'n = 8   1.00 ms  0.50×',
      'n = 16  12.0 ms      —',
      '',
      'ratio = ours / numpy',
      'machine: 2 cores',
      '{"n":8,"ours_ms":1,"ratio":0.5}',
      '{"n":16,"ours_ms":12,"ratio":null}',
    ]);
  });

  it('starts with the table when there is no heading', () => {
    const { heading: _, ...bare } = report;
    expect(renderReport(bare).split('\n').slice(0, 2)).toEqual([
      '           ours  ratio',
      'n = 8   1.00 ms  0.50×',
    ]);
  });

  it('refuses a number without a JSON form instead of printing null, naming its key', () => {
    expect(() => jsonLine({ n: 8, ratio: Number.NaN })).toThrow('benchmark result "ratio" is NaN');
    expect(() => jsonLine({ nested: { ms: Number.POSITIVE_INFINITY } })).toThrow('"ms" is Infinity');
  });

  it('aligns columns by characters, not bytes', () => {
    expect(
      renderTable(
        [
          ['Δλ', 'x'],
          ['1e-15', 'yy'],
        ],
        ['right', 'left'],
      ),
    ).toBe('   Δλ  x\n1e-15  yy');
  });

  it('rounds for the JSON line', () => {
    expect(roundTo(1.23456, 3)).toBe(1.235);
    expect(roundTo(2, 3)).toBe(2);
  });
});

describe('the machine line', () => {
  it('names the cores, the load average, Node and each reference', () => {
    const line = machineLine([
      {
        available: true,
        python: 'python3',
        module: 'numpy',
        version: '2.4.6',
        blas: 'scipy-openblas',
        env: {},
      },
      { available: false, python: '/usr/bin/python3', module: 'torch', reason: 'cannot import torch' },
    ]);
    expect(line).toMatch(
      /^machine: \d+ cores?, load average \d+\.\d\d \d+\.\d\d \d+\.\d\d, node v\d+\.\d+\.\d+, numpy 2\.4\.6 \(scipy-openblas\), no torch$/,
    );
  });
});
