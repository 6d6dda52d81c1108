import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  type BenchReport,
  ENVIRONMENT_NOTE,
  float64Bytes,
  formatMilliseconds,
  formatRatio,
  machineLine,
  median,
  type PythonReference,
  renderReport,
  roundTo,
  runReference,
  timeRepeats,
  unsteadiness,
  unsteadyWarning,
  withScratchDirectory,
} from '@bilinear-lab/bench';
import { type SymmetricEigenResult, symmetricEigen } from '@bilinear-lab/core';
import { randomSymmetric } from '@bilinear-lab/core/testing';
import { EigenvectorThread } from '@bilinear-lab/threads';
import { type Command, Option } from 'commander';
import type { CliEnv } from '../env.js';
import { CliInputError } from '../errors.js';
import { requireNumpy } from '../numpy-reference.js';
import { wholeNumber, wholeNumberList } from '../options.js';
import { note, printLine } from '../output.js';
import { type StatusLine, statusLine } from '../progress.js';

interface BenchEigOptions {
  n: number[];
  repeats: number;
  json?: boolean;
  python: string;
}

/** The seed of the benchmark matrix: fixed, so every run and every machine times the same problem. */
const MATRIX_SEED = 42;
/** Vectors per end in the top-k run: 32 + 32 = 64, the most the dashboard ever shows. */
const ENDS = 32;
const MIN_REPEATS = 5;
const MAX_N = 8192;

export function registerBenchEig(bench: Command, env: CliEnv): void {
  bench
    .command('eig')
    .description(
      'time our symmetric eigensolver against numpy.linalg.eigh on the same seeded random matrix (all vectors, and top-64 vectors)',
    )
    .addOption(
      new Option('--n <sizes>', 'matrix order, or several: 256,512,784,1024')
        .argParser(wholeNumberList(1))
        .default([784], '784'),
    )
    .option(
      '--repeats <r>',
      `timed runs per solver after one warm-up; the median is reported (≥ ${MIN_REPEATS})`,
      wholeNumber(MIN_REPEATS),
      7,
    )
    .option('--python <exe>', 'the Python interpreter with numpy', 'python3')
    .option('--json', 'print one JSON line per size instead of the table')
    .action(async (options: BenchEigOptions) => {
      const tooLarge = options.n.find((n) => n > MAX_N);
      if (tooLarge !== undefined) {
        throw new CliInputError(`--n ${tooLarge} is too large: sizes up to ${MAX_N} fit the solver's memory`);
      }
      const reference = requireNumpy(
        options.python,
        env.inherited,
        'bench eig times numpy.linalg.eigh side by side',
      );
      const status = statusLine();
      // The solver's second thread (symmetricEigen's helper) where there is a second core.
      const helper = availableParallelism() > 1 ? EigenvectorThread.start({ patient: true }) : null;
      const rows: BenchRow[] = [];
      try {
        await helper?.ready();
        for (const n of options.n) rows.push(await benchSize(n, options.repeats, reference, helper, status));
      } finally {
        await helper?.close();
      }
      status.clear();
      for (const row of rows) {
        const warning = unsteadyWarning(row.unsteady, 'ratios', `n = ${row.n}`);
        if (warning !== null) note(`bilinear: ${warning}`);
      }
      const blas = reference.blas ? `, ${reference.blas}` : '';
      printLine(
        renderReport(
          {
            heading: [
              `symmetric eigendecomposition of randomSymmetric(n, ${MATRIX_SEED}), float64; median of ${options.repeats} runs after 1 warm-up`,
              `reference: numpy ${reference.version} linalg.eigh (LAPACK${blas}) in ${reference.python}, ${ENVIRONMENT_NOTE}`,
            ],
            table: benchTable(rows),
            notes: [
              'ratio = ours / numpy (below 1: ours is faster); numpy uses every core (threaded BLAS/LAPACK),',
              '"numpy, 1 thread" runs it with OPENBLAS_NUM_THREADS=1; "ours, all, 2 threads" gives the vectors of the',
              "lower half of the spectrum to a helper thread (symmetricEigen's helper option; the same vectors bit for bit);",
              'residual = ‖AV − VΛ‖_F / ‖A‖_F and orthogonality = max |VᵀV − I| of our all-vectors run;',
              'Δλ = max |λ_ours − λ_numpy| / max |λ|',
            ],
            machine: machineLine([reference]),
            results: rows.map(jsonLine),
          },
          { json: options.json },
        ),
      );
    });
}

interface BenchRow {
  n: number;
  oursFullMs: number;
  /** With the helper thread; null on one core. */
  oursFullThreadsMs: number | null;
  numpyOneThreadMs: number;
  oursTopKMs: number;
  numpyMs: number;
  residual: number;
  orthogonality: number;
  eigenvalueGap: number;
  /** What the unsteady rule found in each timing (null: steady). */
  unsteady: (string | null)[];
}

async function benchSize(
  n: number,
  repeats: number,
  reference: PythonReference,
  helper: EigenvectorThread | null,
  status: StatusLine,
): Promise<BenchRow> {
  const matrix = randomSymmetric(n, MATRIX_SEED);
  const full = timeRepeats(() => symmetricEigen(matrix, n, { vectors: 'all' }), {
    repeats,
    onRun: (run) => status.set(`bench eig n = ${n}: ours, all vectors, ${run}`),
  });
  const threaded = helper
    ? timeRepeats(() => symmetricEigen(matrix, n, { vectors: 'all', helper }), {
        repeats,
        onRun: (run) => status.set(`bench eig n = ${n}: ours, all vectors, two threads, ${run}`),
      })
    : null;
  const topK = timeRepeats(() => symmetricEigen(matrix, n, { vectors: { ends: ENDS } }), {
    repeats,
    onRun: (run) => status.set(`bench eig n = ${n}: ours, top-${2 * ENDS} vectors, ${run}`),
  });
  status.set(`bench eig n = ${n}: numpy.linalg.eigh, ${repeats + 1} runs`);
  const numpy = await timeNumpyEigh(reference, matrix, n, repeats);
  status.set(`bench eig n = ${n}: numpy.linalg.eigh on one thread, ${repeats + 1} runs`);
  const numpyOneThread = await timeNumpyEigh(oneThread(reference), matrix, n, repeats);
  status.set(`bench eig n = ${n}: checking the residual and orthogonality`);
  return {
    n,
    oursFullMs: full.ms,
    oursFullThreadsMs: threaded?.ms ?? null,
    oursTopKMs: topK.ms,
    numpyMs: numpy.ms,
    numpyOneThreadMs: numpyOneThread.ms,
    residual: relativeResidual(matrix, n, full.result),
    orthogonality: orthogonalityError(full.result.vectors, full.result.vectorIndices.length, n),
    eigenvalueGap: relativeGap(full.result.values, numpy.values),
    unsteady: [
      unsteadiness('ours (all vectors)', full.timesMs),
      threaded ? unsteadiness('ours (all vectors, two threads)', threaded.timesMs) : null,
      unsteadiness(`ours (top-${2 * ENDS})`, topK.timesMs),
      unsteadiness('numpy', numpy.timesMs),
      unsteadiness('numpy (one thread)', numpyOneThread.timesMs),
    ],
  };
}

/** The reference with its BLAS held to one thread (the variables OpenBLAS, MKL and OpenMP read). */
function oneThread(reference: PythonReference): PythonReference {
  const single = { OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  return { ...reference, env: { ...reference.env, ...single } };
}

/** numpy.linalg.eigh on `matrix` (n × n, row-major): one warm-up, then `repeats` timed calls. */
async function timeNumpyEigh(
  reference: PythonReference,
  matrix: Float64Array,
  n: number,
  repeats: number,
): Promise<{ ms: number; timesMs: number[]; values: Float64Array }> {
  const answer = await withScratchDirectory(async (directory) => {
    const path = join(directory, `matrix-${n}.f64`);
    await writeFile(path, float64Bytes(matrix));
    return runReference<{ times_ms: number[]; values: number[] }>(
      reference,
      'numpy_eigh',
      [path, n, repeats],
      `numpy.linalg.eigh failed for n = ${n}`,
    );
  });
  return { ms: median(answer.times_ms), timesMs: answer.times_ms, values: Float64Array.from(answer.values) };
}

/** ‖A V − V Λ‖_F / ‖A‖_F over the returned eigenpairs (rows of `vectors`). */
function relativeResidual(a: Float64Array, n: number, eig: SymmetricEigenResult): number {
  let residual = 0;
  eig.vectorIndices.forEach((rank, c) => {
    const v = eig.vectors.subarray(c * n, (c + 1) * n);
    const lambda = eig.values[rank] as number;
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let av = 0;
      for (let j = 0; j < n; j++) av += (a[row + j] as number) * (v[j] as number);
      residual += (av - lambda * (v[i] as number)) ** 2;
    }
  });
  let norm = 0;
  for (let i = 0; i < a.length; i++) norm += (a[i] as number) ** 2;
  return Math.sqrt(residual) / Math.sqrt(norm);
}

/** max |VᵀV − I| over the k returned vectors (rows of `vectors`). */
function orthogonalityError(vectors: Float64Array, k: number, n: number): number {
  let worst = 0;
  for (let r = 0; r < k; r++) {
    for (let s = r; s < k; s++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += (vectors[r * n + i] as number) * (vectors[s * n + i] as number);
      worst = Math.max(worst, Math.abs(dot - (r === s ? 1 : 0)));
    }
  }
  return worst;
}

/** max |λ_ours − λ_numpy| / max |λ|, both spectra descending. */
function relativeGap(ours: Float64Array, theirs: Float64Array): number {
  let gap = 0;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) {
    gap = Math.max(gap, Math.abs((ours[i] as number) - (theirs[i] as number)));
    scale = Math.max(scale, Math.abs(theirs[i] as number));
  }
  return scale === 0 ? gap : gap / scale;
}

function jsonLine(row: BenchRow): Record<string, number | null> {
  const threads = row.oursFullThreadsMs;
  return {
    n: row.n,
    ours_full_ms: roundTo(row.oursFullMs, 3),
    ours_topk_ms: roundTo(row.oursTopKMs, 3),
    numpy_ms: roundTo(row.numpyMs, 3),
    ratio_full: roundTo(row.oursFullMs / row.numpyMs, 3),
    ratio_topk: roundTo(row.oursTopKMs / row.numpyMs, 3),
    residual: row.residual,
    orthogonality: row.orthogonality,
    ours_full_two_threads_ms: threads === null ? null : roundTo(threads, 3),
    ratio_full_two_threads: threads === null ? null : roundTo(threads / row.numpyMs, 3),
    numpy_one_thread_ms: roundTo(row.numpyOneThreadMs, 3),
    ratio_full_one_thread: roundTo(row.oursFullMs / row.numpyOneThreadMs, 3),
  };
}

function benchTable(rows: readonly BenchRow[]): BenchReport['table'] {
  return {
    rows: [
      [
        'n',
        'ours, all',
        'ours, all, 2 threads',
        `ours, top-${2 * ENDS}`,
        'numpy eigh',
        'numpy, 1 thread',
        'ratio all',
        'ratio all, 2 threads',
        'ratio all, 1 thread each',
        `ratio top-${2 * ENDS}`,
        'residual',
        'orthogonality',
        'Δλ',
      ],
      ...rows.map((row) => [
        String(row.n),
        formatMilliseconds(row.oursFullMs),
        row.oursFullThreadsMs === null ? '—' : formatMilliseconds(row.oursFullThreadsMs),
        formatMilliseconds(row.oursTopKMs),
        formatMilliseconds(row.numpyMs),
        formatMilliseconds(row.numpyOneThreadMs),
        formatRatio(row.oursFullMs / row.numpyMs),
        row.oursFullThreadsMs === null ? '—' : formatRatio(row.oursFullThreadsMs / row.numpyMs),
        formatRatio(row.oursFullMs / row.numpyOneThreadMs),
        formatRatio(row.oursTopKMs / row.numpyMs),
        row.residual.toExponential(1),
        row.orthogonality.toExponential(1),
        row.eigenvalueGap.toExponential(1),
      ]),
    ],
    align: Array<'right'>(13).fill('right'),
  };
}
