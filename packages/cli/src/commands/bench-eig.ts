import { type SymmetricEigenResult, symmetricEigen } from '@bilinear-lab/core';
import { randomSymmetric } from '@bilinear-lab/core/testing';
import { type Command, Option } from 'commander';
import type { CliEnv } from '../env.js';
import { CliInputError } from '../errors.js';
import { formatMilliseconds, renderTable } from '../format.js';
import { findNumpy, type NumpyReference, timeNumpyEigh } from '../numpy-eigh.js';
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
      const reference = findNumpy(options.python, env.inherited);
      const status = statusLine();
      const rows: BenchRow[] = [];
      for (const n of options.n) {
        const row = await benchSize(n, options.repeats, reference, status);
        rows.push(row);
        if (options.json) printLine(JSON.stringify(jsonLine(row)));
      }
      status.clear();
      for (const row of rows) {
        if (row.unsteady.length > 0) {
          // numpy's threaded eigh in particular slows down many-fold when other processes want the cores.
          note(
            `bilinear: warning: n = ${row.n}: run times are unsteady (${row.unsteady.join('; ')}); the machine looks busy, so the ratios are unreliable`,
          );
        }
      }
      if (!options.json) {
        const blas = reference.blas ? `, ${reference.blas}` : '';
        printLine(
          [
            `symmetric eigendecomposition of randomSymmetric(n, ${MATRIX_SEED}), float64; median of ${options.repeats} runs after 1 warm-up`,
            `reference: numpy ${reference.version} linalg.eigh (LAPACK${blas}) in ${reference.python}, OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset`,
            '',
            renderBenchTable(rows),
            '',
            'ratio = ours / numpy (below 1: ours is faster); residual = ‖AV − VΛ‖_F / ‖A‖_F and',
            'orthogonality = max |VᵀV − I| of our all-vectors run; Δλ = max |λ_ours − λ_numpy| / max |λ|',
          ].join('\n'),
        );
      }
    });
}

interface BenchRow {
  n: number;
  oursFullMs: number;
  oursTopKMs: number;
  numpyMs: number;
  residual: number;
  orthogonality: number;
  eigenvalueGap: number;
  /** Timings whose slowest run took over UNSTEADY_SPREAD × the fastest: a busy machine. */
  unsteady: string[];
}

const UNSTEADY_SPREAD = 2;

async function benchSize(
  n: number,
  repeats: number,
  reference: NumpyReference,
  status: StatusLine,
): Promise<BenchRow> {
  const matrix = randomSymmetric(n, MATRIX_SEED);
  const full = medianTime(
    () => symmetricEigen(matrix, n, { vectors: 'all' }),
    repeats,
    (run) => status.set(`bench eig n = ${n}: ours, all vectors, ${run}`),
  );
  const topK = medianTime(
    () => symmetricEigen(matrix, n, { vectors: { ends: ENDS } }),
    repeats,
    (run) => status.set(`bench eig n = ${n}: ours, top-${2 * ENDS} vectors, ${run}`),
  );
  status.set(`bench eig n = ${n}: numpy.linalg.eigh, ${repeats + 1} runs`);
  const numpy = await timeNumpyEigh(reference, matrix, n, repeats);
  status.set(`bench eig n = ${n}: checking the residual and orthogonality`);
  return {
    n,
    oursFullMs: full.ms,
    oursTopKMs: topK.ms,
    numpyMs: numpy.ms,
    residual: relativeResidual(matrix, n, full.result),
    orthogonality: orthogonalityError(full.result.vectors, full.result.vectorIndices.length, n),
    eigenvalueGap: relativeGap(full.result.values, numpy.values),
    unsteady: [
      unsteadiness('ours (all vectors)', full.timesMs),
      unsteadiness(`ours (top-${2 * ENDS})`, topK.timesMs),
      unsteadiness('numpy', numpy.timesMs),
    ].filter((text): text is string => text !== null),
  };
}

function unsteadiness(what: string, timesMs: readonly number[]): string | null {
  const fastest = Math.min(...timesMs);
  const slowest = Math.max(...timesMs);
  return slowest > UNSTEADY_SPREAD * fastest
    ? `${what} ranged ${formatMilliseconds(fastest)} to ${formatMilliseconds(slowest)}`
    : null;
}

/** One warm-up call, then the median of `repeats` timed calls; returns the last result too. */
function medianTime<T>(
  work: () => T,
  repeats: number,
  onRun: (label: string) => void,
): { ms: number; timesMs: number[]; result: T } {
  onRun('warm-up');
  let result = work();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    onRun(`run ${r + 1}/${repeats}`);
    const started = performance.now();
    result = work();
    times.push(performance.now() - started);
  }
  return { ms: median(times), timesMs: times, result };
}

/** The middle value, or the mean of the two middle values (numpy.median's definition). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
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

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function jsonLine(row: BenchRow): Record<string, number> {
  return {
    n: row.n,
    ours_full_ms: round(row.oursFullMs, 3),
    ours_topk_ms: round(row.oursTopKMs, 3),
    numpy_ms: round(row.numpyMs, 3),
    ratio_full: round(row.oursFullMs / row.numpyMs, 3),
    ratio_topk: round(row.oursTopKMs / row.numpyMs, 3),
    residual: row.residual,
    orthogonality: row.orthogonality,
  };
}

function renderBenchTable(rows: readonly BenchRow[]): string {
  return renderTable(
    [
      [
        'n',
        'ours, all',
        `ours, top-${2 * ENDS}`,
        'numpy eigh',
        'ratio all',
        `ratio top-${2 * ENDS}`,
        'residual',
        'orthogonality',
        'Δλ',
      ],
      ...rows.map((row) => [
        String(row.n),
        formatMilliseconds(row.oursFullMs),
        formatMilliseconds(row.oursTopKMs),
        formatMilliseconds(row.numpyMs),
        `${(row.oursFullMs / row.numpyMs).toFixed(2)}×`,
        `${(row.oursTopKMs / row.numpyMs).toFixed(2)}×`,
        row.residual.toExponential(1),
        row.orthogonality.toExponential(1),
        row.eigenvalueGap.toExponential(1),
      ]),
    ],
    ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}
