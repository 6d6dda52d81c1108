import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli.js';

describe('bilinear bench lm-decompose', () => {
  it('prints the JSON line of the issue, with our eigenvalues equal to numpy on the sample', () => {
    const run = runCli([
      'bench',
      'lm-decompose',
      '--d',
      '24',
      '--hidden',
      '64',
      '--directions',
      '12',
      '--top-k',
      '3',
      '--reference-sample',
      '5',
      '--threads',
      '1',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(Object.keys(result)).toEqual(['directions', 'ours_ms', 'numpy_ms', 'ratio', 'max_rel_err']);
    expect(result.directions).toBe(12);
    expect(result.max_rel_err).toBeLessThan(1e-12);
    expect(result.ratio).toBeCloseTo(result.ours_ms / result.numpy_ms, 12);
  });
});
