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

  it('times DᵀQD over an input SAE with --features, every eigenvalue (F − d zeros included) equal to numpy', () => {
    const run = runCli([
      'bench',
      'lm-decompose',
      '--d',
      '16',
      '--hidden',
      '40',
      '--directions',
      '2',
      '--features',
      '48',
      '--reference-sample',
      '2',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(Object.keys(result)).toEqual([
      'directions',
      'features',
      'ours_ms',
      'numpy_ms',
      'ratio',
      'max_rel_err',
    ]);
    expect(result.features).toBe(48);
    expect(result.max_rel_err).toBeLessThan(1e-12);
  });

  it('runs many directions through the output tensor (auto above m·h/(h − m) of them), still equal to numpy', () => {
    const run = runCli([
      'bench',
      'lm-decompose',
      '--d',
      '12',
      '--hidden',
      '48',
      '--directions',
      '40',
      '--reference-sample',
      '6',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('through the output tensor');
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1) as string).max_rel_err).toBeLessThan(1e-12);
  });
});
