import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, temporaryDirectory } from '../testing/cli.js';

const KEYS = [
  'n',
  'ours_full_ms',
  'ours_topk_ms',
  'numpy_ms',
  'ratio_full',
  'ratio_topk',
  'residual',
  'orthogonality',
  'ours_full_two_threads_ms',
  'ratio_full_two_threads',
  'numpy_one_thread_ms',
  'ratio_full_one_thread',
];

describe('bilinear bench eig', () => {
  it('prints one JSON line with timings against numpy and an accurate decomposition', () => {
    const run = runCli(['bench', 'eig', '--n', '64', '--repeats', '5', '--json']);
    // Tests run in parallel, so a warning about unsteady timings is expected now and then.
    expect(run.stderr).not.toMatch(/^bilinear: (?!warning: n = 64: run times are unsteady)/m);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0] as string) as Record<string, number>;
    expect(Object.keys(result)).toEqual(KEYS);
    expect(result.n).toBe(64);
    for (const key of ['ours_full_ms', 'ours_topk_ms', 'numpy_ms']) expect(result[key]).toBeGreaterThan(0);
    expect(result.ratio_full).toBeCloseTo((result.ours_full_ms as number) / (result.numpy_ms as number), 1);
    expect(result.ratio_full_one_thread).toBeCloseTo(
      (result.ours_full_ms as number) / (result.numpy_one_thread_ms as number),
      1,
    );
    // Two threads where the machine has a second core (null on one).
    if (result.ours_full_two_threads_ms !== null) expect(result.ours_full_two_threads_ms).toBeGreaterThan(0);
    expect(result.residual).toBeLessThan(1e-12);
    expect(result.orthogonality).toBeLessThan(1e-12);
  });

  it('gives one JSON line per size with --n a,b', () => {
    const run = runCli(['bench', 'eig', '--n', '16,40', '--repeats', '5', '--json']);
    expect(run.code).toBe(0);
    const sizes = run.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { n: number }).n);
    expect(sizes).toEqual([16, 40]);
  });

  it('prints a table by default', () => {
    const run = runCli(['bench', 'eig', '--n', '32', '--repeats', '5']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('numpy eigh');
    // n, ours (all; all on two threads, or — on one core; top-64), numpy (threaded; one thread), ratios.
    expect(run.stdout).toMatch(
      /^\s*32\s+[\d.]+ ms\s+([\d.]+ ms|—)\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+×/m,
    );
    // The harness's machine line, then the same JSON line --json prints.
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-2)).toMatch(/^machine: \d+ cores?, load average [\d. ]+, node v\S+, numpy \S+/);
    expect(Object.keys(JSON.parse(lines.at(-1) as string))).toEqual(KEYS);
  });

  it('exits 2 with a clear message when python3 or numpy is missing', () => {
    const run = runCli(['bench', 'eig', '--n', '16', '--python', '/nonexistent/python3']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('needs Python 3 with numpy');
    expect(run.stderr).toContain('/nonexistent/python3 was not found');
    expect(run.stdout).toBe('');
  });

  it.each([
    ['--repeats', '4'],
    ['--n', '0'],
    ['--n', '64,x'],
  ])('exits 2 on %s %s', (flag, value) => {
    const run = runCli(['bench', 'eig', flag, value]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`'${value}' is invalid`);
  });

  it('exits 2 on a size too large for the solver', () => {
    const run = runCli(['bench', 'eig', '--n', '100000']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--n 100000 is too large');
  });

  it('exits 1 on an unexpected failure, with the stack only under BILINEAR_DEBUG=1', () => {
    // A "python" that passes the numpy probe and then fails the timing run.
    const directory = temporaryDirectory();
    try {
      const python = join(directory.path, 'python');
      writeFileSync(
        python,
        '#!/bin/sh\ncase "$2" in *show_config*) echo \'{"version": "0", "blas": null}\' ;; *) echo boom >&2; exit 3 ;; esac\n',
      );
      chmodSync(python, 0o755);
      const quiet = runCli(['bench', 'eig', '--n', '16', '--python', python]);
      expect(quiet.code).toBe(1);
      expect(quiet.stderr).toBe(
        'bilinear: internal error: numpy.linalg.eigh failed for n = 16: boom (run with BILINEAR_DEBUG=1 for the stack trace)\n',
      );
      const debug = runCli(['bench', 'eig', '--n', '16', '--python', python], { BILINEAR_DEBUG: '1' });
      expect(debug.code).toBe(1);
      expect(debug.stderr).toMatch(/numpy\.linalg\.eigh failed for n = 16: boom\n\s+at /);
    } finally {
      directory.remove();
    }
  });
});
