import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliInputError } from './errors.js';

// numpy.linalg.eigh (LAPACK syevd through numpy's BLAS) as the reference for `bench eig`, run in
// a python3 child process on the very matrix our solver gets, timed inside Python.

export interface NumpyReference {
  python: string;
  version: string;
  /** The BLAS numpy was built against (e.g. "scipy-openblas"), when numpy says. */
  blas: string | null;
  /** The environment the child runs in. */
  env: Record<string, string | undefined>;
}

export interface NumpyEighResult {
  /** Median wall time of eigh over the repeats, after one warm-up call. */
  ms: number;
  /** Every timed run, in milliseconds. */
  timesMs: number[];
  /** Every eigenvalue, descending (numpy returns them ascending). */
  values: Float64Array;
}

/**
 * These variables pin OpenBLAS to old, slow kernels on the project's machines; the honest
 * comparison is against numpy at full speed, so the child runs without them.
 */
const SLOWING_VARIABLES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

const PROBE = `
import json, numpy
blas = None
try:
    blas = numpy.show_config(mode='dicts')['Build Dependencies']['blas']['name']
except Exception:
    pass
print(json.dumps({'version': numpy.__version__, 'blas': blas}))
`;

const TIMER = `
import json, sys, time
import numpy as np
path, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = np.fromfile(path, dtype='<f8').reshape(n, n)
np.linalg.eigh(a)
times = []
for _ in range(repeats):
    start = time.perf_counter()
    w, v = np.linalg.eigh(a)
    times.append(time.perf_counter() - start)
json.dump({'ms': float(np.median(times)) * 1000.0, 'times_ms': [t * 1000.0 for t in times], 'values': w[::-1].tolist()}, sys.stdout)
`;

/**
 * Checks that `python` runs and imports numpy; a missing one is an input error (exit 2) whose
 * message starts with what the reference is for (`purpose`).
 */
export function findNumpy(
  python: string,
  inherited: Readonly<Record<string, string | undefined>>,
  purpose = 'bench eig times numpy.linalg.eigh side by side',
): NumpyReference {
  const env = { ...inherited };
  for (const name of SLOWING_VARIABLES) delete env[name];
  const probe = spawnSync(python, ['-c', PROBE], { env, encoding: 'utf8' });
  const needs = `${purpose} and needs Python 3 with numpy`;
  const install =
    'install them (Debian: apt-get install python3-numpy) or name another interpreter with --python';
  if (probe.error) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'was not found' : `could not be started (${probe.error.message})`;
    throw new CliInputError(`${needs}, but ${python} ${what}; ${install}`);
  }
  if (probe.status !== 0) {
    const reason = probe.stderr.trim().split('\n').at(-1) || `exit status ${probe.status}`;
    throw new CliInputError(`${needs}, but ${python} cannot import numpy (${reason}); ${install}`);
  }
  const { version, blas } = JSON.parse(probe.stdout) as { version: string; blas: string | null };
  return { python, version, blas, env };
}

/** Times numpy.linalg.eigh on `matrix` (n × n, row-major): one warm-up, then the median of `repeats`. */
export async function timeNumpyEigh(
  reference: NumpyReference,
  matrix: Float64Array,
  n: number,
  repeats: number,
): Promise<NumpyEighResult> {
  const directory = await mkdtemp(join(tmpdir(), 'bilinear-bench-'));
  try {
    const path = join(directory, `matrix-${n}.f64`);
    // Raw little-endian float64, the layout np.fromfile(dtype='<f8') reads.
    const bytes = new Uint8Array(matrix.length * 8);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < matrix.length; i++) view.setFloat64(i * 8, matrix[i] as number, true);
    await writeFile(path, bytes);
    const run = spawnSync(reference.python, ['-c', TIMER, path, String(n), String(repeats)], {
      env: reference.env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.error || run.status !== 0) {
      throw new Error(
        `numpy.linalg.eigh failed for n = ${n}: ${run.error?.message ?? (run.stderr.trim() || `exit status ${run.status}`)}`,
      );
    }
    const result = JSON.parse(run.stdout) as { ms: number; times_ms: number[]; values: number[] };
    return { ms: result.ms, timesMs: result.times_ms, values: Float64Array.from(result.values) };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
