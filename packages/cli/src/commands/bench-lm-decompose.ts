import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Decomposition, seededGaussian, writeSafetensors } from '@bilinear-lab/core';
import { decomposeInThreads } from '@bilinear-lab/threads';
import type { Command } from 'commander';
import type { CliEnv } from '../env.js';
import { formatMilliseconds, renderTable } from '../format.js';
import { findNumpy } from '../numpy-eigh.js';
import { wholeNumber } from '../options.js';
import { printLine } from '../output.js';
import { progressBar } from '../progress.js';

interface BenchOptions {
  d: number;
  hidden: number;
  directions: number;
  topK: number;
  referenceSample: number;
  threads?: number;
  python: string;
  json?: boolean;
}

/** Fixed, so every run times the same layer and directions. */
const SEED = 7;

// numpy's side: Q(u) = ½(Wᵀ diag(Pᵀu) V + transpose) by einsum (optimize=True: through BLAS),
// then eigh, for each sampled direction; timed per direction in Python.
const NUMPY = `
import json, sys, time
import numpy as np
path, d, h, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
raw = np.fromfile(path, dtype='<f8')
W = raw[:h * d].reshape(h, d); V = raw[h * d:2 * h * d].reshape(h, d)
P = raw[2 * h * d:3 * h * d].reshape(d, h); U = raw[3 * h * d:].reshape(n, d)
times, values = [], []
for u in U:
    start = time.perf_counter()
    c = P.T @ u
    M = np.einsum('k,ki,kj->ij', c, W, V, optimize=True)
    w = np.linalg.eigh(0.5 * (M + M.T))[0]
    times.append(time.perf_counter() - start)
    values.append(w[::-1].tolist())
json.dump({'ms': float(np.median(times)) * 1000.0, 'values': values}, sys.stdout)
`;

export function registerBenchLmDecompose(bench: Command, env: CliEnv): void {
  bench
    .command('lm-decompose')
    .description(
      'decompose many directions of a seeded ts-medium-shaped MLP layer (top-k per sign) against numpy einsum-built Q + eigh on a sample, extrapolated',
    )
    .option('--d <d>', 'model width', wholeNumber(2), 512)
    .option('--hidden <h>', 'MLP hidden units', wholeNumber(1), 2048)
    .option(
      '--directions <n>',
      'directions decomposed (every token of a 4096 vocabulary by default)',
      wholeNumber(1),
      4096,
    )
    .option('--top-k <k>', 'eigenpairs kept per sign', wholeNumber(1), 8)
    .option(
      '--reference-sample <n>',
      'directions numpy decomposes (its time is extrapolated)',
      wholeNumber(1),
      64,
    )
    .option('--threads <n>', 'decomposition threads (default: one per core)', wholeNumber(1))
    .option('--python <exe>', 'the Python interpreter with numpy', 'python3')
    .option('--json', 'print one JSON line instead of the table')
    .action(async (options: BenchOptions) => {
      const reference = findNumpy(
        options.python,
        env.inherited,
        'bench lm-decompose times numpy side by side',
      );
      const { d, hidden: h, directions: n } = options;
      const gaussian = seededGaussian(SEED);
      const values = (count: number, scale: number) =>
        Float32Array.from({ length: count }, () => scale * gaussian());
      const w = values(h * d, 1 / Math.sqrt(d));
      const v = values(h * d, 1 / Math.sqrt(d));
      const p = values(d * h, 1 / Math.sqrt(h));
      const u = values(n * d, 1);
      // A one-layer language-model file whose MLP is the seeded layer (a one-token vocabulary: the
      // directions come as vectors, so no token reading is timed).
      const bytes = writeSafetensors([
        { name: 'transformer.wte.weight', dtype: 'F32', shape: [1, d], data: values(d, 1) },
        { name: 'transformer.h.0.mlp.w.weight', dtype: 'F32', shape: [2 * h, d], data: concat(w, v) },
        { name: 'transformer.h.0.mlp.p.weight', dtype: 'F32', shape: [d, h], data: p },
        { name: 'lm_head.weight', dtype: 'F32', shape: [1, d], data: values(d, 1) },
      ]);
      const threads = options.threads ?? availableParallelism();
      const progress = progressBar('decomposing');
      const started = performance.now();
      let ours: Decomposition;
      try {
        ours = await decomposeInThreads({
          modelBytes: bytes,
          options: {
            layer: 0,
            directions: { kind: 'vectors', vectors: { rows: n, cols: d, data: Float64Array.from(u) } },
            topK: options.topK,
            exactnessSamples: 0,
          },
          threads,
          onProgress: (done, total, label) => progress.update(done, total, label),
        });
      } finally {
        progress.stop();
      }
      const oursMs = performance.now() - started;

      const sample = Math.min(options.referenceSample, n);
      const directory = await mkdtemp(join(tmpdir(), 'bilinear-bench-lm-'));
      let numpy: { ms: number; values: number[][] };
      try {
        const path = join(directory, 'layer.f64');
        const all = Float64Array.from([...w, ...v, ...p, ...u.subarray(0, sample * d)]);
        await writeFile(path, new Uint8Array(all.buffer));
        const run = spawnSync(reference.python, ['-c', NUMPY, path, String(d), String(h), String(sample)], {
          env: reference.env,
          encoding: 'utf8',
          maxBuffer: 256 * 1024 * 1024,
        });
        if (run.error || run.status !== 0) {
          throw new Error(
            `numpy failed: ${run.error?.message ?? (run.stderr.trim() || `exit status ${run.status}`)}`,
          );
        }
        numpy = JSON.parse(run.stdout) as { ms: number; values: number[][] };
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
      const numpyMs = numpy.ms * n;
      // Eigenvalue error of our top-k ends against numpy on the sample, relative to the spectrum's scale.
      let maxRelErr = 0;
      numpy.values.forEach((expected, j) => {
        const output = ours.outputs[j];
        if (!output) return;
        const scale = Math.max(...expected.map(Math.abs));
        for (const pair of [...output.topPositive, ...output.topNegative]) {
          const error = Math.abs(pair.eigenvalue - (expected[pair.rank] as number)) / scale;
          maxRelErr = Math.max(maxRelErr, error);
        }
      });
      const result = {
        directions: n,
        ours_ms: oursMs,
        numpy_ms: numpyMs,
        ratio: oursMs / numpyMs,
        max_rel_err: maxRelErr,
      };
      if (options.json) {
        printLine(JSON.stringify(result));
        return;
      }
      printLine(
        [
          `one MLP layer, d = ${d}, h = ${h}, seed ${SEED}: ${n} directions, the ${options.topK} most positive and most negative eigenpairs of each`,
          `ours: ${threads} thread${threads === 1 ? '' : 's'}, dense Q(u) and the top-k solver; numpy ${reference.version}: einsum(optimize=True) Q + eigh on ${sample} directions, median × ${n}`,
          '',
          renderTable(
            [
              ['', 'total', 'per direction'],
              ['ours', formatMilliseconds(oursMs), formatMilliseconds(oursMs / n)],
              ['numpy (extrapolated)', formatMilliseconds(numpyMs), formatMilliseconds(numpy.ms)],
            ],
            ['left', 'right', 'right'],
          ),
          '',
          `ratio ${result.ratio.toFixed(3)} (ours / numpy; below 1 ours is faster), max eigenvalue error ${maxRelErr.toExponential(2)} of the spectrum's scale`,
          JSON.stringify(result),
        ].join('\n'),
      );
    });
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
