import { describe, expect, it } from 'vitest';
import { formatBytes, formatValue, renderTable, sparkline } from './format.js';

describe('sparkline', () => {
  it('runs from █ at the largest value to ▁ at the smallest', () => {
    expect(sparkline([3, 2, 1, 0], 4)).toBe('█▆▃▁');
  });

  it('squeezes long spectra into the width, keeping the largest magnitudes visible', () => {
    const values = [10, ...Array.from({ length: 98 }, () => 0), -10];
    const line = sparkline(values, 10);
    expect([...line]).toHaveLength(10);
    expect(line.startsWith('█')).toBe(true);
    expect(line.endsWith('▁')).toBe(true);
    expect(line.slice(1, -1)).toBe('▅'.repeat(8));
  });

  it('handles empty and constant input', () => {
    expect(sparkline([], 5)).toBe('');
    expect(sparkline([2, 2, 2], 5)).toBe('▁▁▁');
  });
});

describe('number and size formatting', () => {
  it('keeps three significant digits and the sign', () => {
    expect(formatValue(0.13305502560762703)).toBe('0.133');
    expect(formatValue(-0.0993)).toBe('-0.0993');
    expect(formatValue(1.2e-7)).toBe('1.20e-7');
    expect(formatValue(0)).toBe('0');
  });

  it('writes bytes in binary units', () => {
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(236_304)).toBe('230.8 KiB');
    expect(formatBytes(17_632_706)).toBe('16.8 MiB');
  });
});

describe('renderTable', () => {
  it('pads columns to their widest cell, aligned as asked', () => {
    expect(
      renderTable(
        [
          ['name', 'n'],
          ['a', '100'],
          ['long name', '7'],
        ],
        ['left', 'right'],
      ),
    ).toBe(['name         n', 'a          100', 'long name    7'].join('\n'));
  });
});
