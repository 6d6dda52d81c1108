import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli.js';
import { trainFlopsPerSample } from '../training/train-flops.js';

const KEYS = [
  'hidden',
  'batch',
  'steps',
  'threads',
  'samples_per_s',
  'gflops',
  'numpy_gflops',
  'roofline_fraction',
  'torch_samples_per_s',
  'backend',
];

describe('bilinear bench train', () => {
  it('prints one JSON line: our samples/s and GFLOP/s, numpy matmul GFLOP/s, their ratio, PyTorch', () => {
    const run = runCli(['bench', 'train', '--steps', '3', '--hidden', '32', '--batch', '1000', '--json']);
    // Tests run in parallel, so a warning about unsteady timings is expected now and then.
    expect(run.stderr).toMatch(/^bilinear: backend: \S+/);
    expect(run.stderr).not.toMatch(/^bilinear: (?!backend: |warning: run times are unsteady)/m);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0] as string) as Record<string, number | string | null>;
    expect(Object.keys(result)).toEqual(KEYS);
    expect(result).toMatchObject({ hidden: 32, batch: 1000, steps: 3 });
    expect(result.threads).toBeGreaterThanOrEqual(1);
    const samplesPerSecond = result.samples_per_s as number;
    const gflops = result.gflops as number;
    const numpyGflops = result.numpy_gflops as number;
    expect(samplesPerSecond).toBeGreaterThan(0);
    expect(numpyGflops).toBeGreaterThan(0);
    // 2·(784·32 + 2·32² + 10·32) forward, as much again for the weight gradients, 2·(2·32² + 10·32) for the inputs'.
    expect(trainFlopsPerSample(784, 32, 10).total).toBe(4 * (25_088 + 2_048 + 320) + 2 * (2_048 + 320));
    expect(gflops).toBeCloseTo((samplesPerSecond * 114_560) / 1e9, 2);
    expect(result.roofline_fraction).toBeCloseTo(gflops / numpyGflops, 3);
    const torch = result.torch_samples_per_s;
    expect(torch === null || (typeof torch === 'number' && torch > 0)).toBe(true);
    expect(typeof result.backend).toBe('string');
  });

  it('exits 2 on a batch larger than the bundled training split, or no numpy', () => {
    const big = runCli(['bench', 'train', '--batch', '8001']);
    expect(big.code).toBe(2);
    expect(big.stderr).toBe(
      'bilinear: --batch 8001: at most 8,000, the size of the bundled training split\n',
    );
    const noNumpy = runCli(['bench', 'train', '--python', '/nonexistent/python3']);
    expect(noNumpy.code).toBe(2);
    expect(noNumpy.stderr).toContain(
      'bench train measures numpy float32 matmul as its roofline and needs Python 3 with numpy',
    );
  });
});
