import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  describeReference,
  missingReferenceMessage,
  type PythonReference,
  probePython,
  referenceEnvironment,
  runReference,
} from './python-reference.js';

const directory = mkdtempSync(join(tmpdir(), 'bench-harness-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A stand-in interpreter: a shell script that gets the same command line python would. */
function fakePython(name: string, body: string): string {
  const path = join(directory, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const numpyImports = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

describe('probePython', () => {
  it('reports the reference absent, not an error, when the interpreter does not exist', () => {
    const probe = probePython('/nonexistent/python3', 'numpy', process.env);
    expect(probe).toEqual({
      available: false,
      python: '/nonexistent/python3',
      module: 'numpy',
      reason: 'was not found',
    });
    if (probe.available) throw new Error('unreachable');
    expect(missingReferenceMessage(probe, 'bench eig times numpy.linalg.eigh side by side')).toBe(
      'bench eig times numpy.linalg.eigh side by side and needs Python 3 with numpy, but /nonexistent/python3 was not found; ' +
        'install them (Debian: apt-get install python3-numpy) or name another interpreter with --python',
    );
    expect(describeReference(probe)).toBe('numpy: not available (/nonexistent/python3 was not found)');
  });

  it('reports the reference absent when the module does not import, with the last line of the error', () => {
    const python = fakePython(
      'no-torch',
      `echo 'Traceback (most recent call last):' >&2; echo "ModuleNotFoundError: No module named 'torch'" >&2; exit 1`,
    );
    expect(probePython(python, 'torch', process.env)).toEqual({
      available: false,
      python,
      module: 'torch',
      reason: "cannot import torch (ModuleNotFoundError: No module named 'torch')",
    });
  });

  it.skipIf(!numpyImports)('finds numpy in python3 with its version', () => {
    const probe = probePython('python3', 'numpy', process.env);
    expect(probe.available).toBe(true);
    if (!probe.available) return;
    expect(probe.version).toMatch(/^\d+\.\d+/);
    expect(describeReference(probe)).toMatch(/^numpy \d+\.\d+\S* (\(\S+\) )?in python3$/);
  });
});

describe('runReference', () => {
  // The probe's source names show_config; every other script gets its environment echoed back.
  const echoing = fakePython(
    'echoing',
    `case "$2" in *show_config*) echo '{"version": "0", "blas": null}' ;; *) printf '{"coretype": "%s", "l2": "%s", "kept": "%s", "args": "%s %s"}' "$OPENBLAS_CORETYPE" "$OPENBLAS_L2_SIZE" "$KEPT" "$3" "$4" ;; esac`,
  );

  it('runs every reference without the variables that slow OpenBLAS down, and keeps the rest', () => {
    const inherited = {
      PATH: process.env.PATH,
      OPENBLAS_CORETYPE: 'Haswell',
      OPENBLAS_L2_SIZE: '1',
      KEPT: 'yes',
    };
    expect(referenceEnvironment(inherited)).toEqual({ PATH: process.env.PATH, KEPT: 'yes' });
    const reference = probePython(echoing, 'numpy', inherited);
    if (!reference.available) throw new Error(`the stand-in was not found: ${reference.reason}`);
    expect(runReference(reference, 'numpy_matmul', [64, 5], 'numpy matmul failed')).toEqual({
      coretype: '',
      l2: '',
      kept: 'yes',
      args: '64 5',
    });
  });

  it('throws an error that starts with what failed and carries the script’s stderr', () => {
    const failing = fakePython(
      'failing',
      `case "$2" in *show_config*) echo '{"version": "0", "blas": null}' ;; *) echo boom >&2; exit 3 ;; esac`,
    );
    const reference = probePython(failing, 'numpy', process.env) as PythonReference;
    expect(() =>
      runReference(reference, 'numpy_eigh', ['x', 2, 5], 'numpy.linalg.eigh failed for n = 2'),
    ).toThrow('numpy.linalg.eigh failed for n = 2: boom');
    const silent = fakePython(
      'silent',
      `case "$2" in *show_config*) echo '{"version": "0", "blas": null}' ;; *) echo 'not json' ;; esac`,
    );
    expect(() =>
      runReference(
        probePython(silent, 'numpy', process.env) as PythonReference,
        'numpy_matmul',
        [2, 1],
        'numpy matmul failed',
      ),
    ).toThrow('numpy matmul failed: the reference printed no JSON answer: "not json\\n"');
  });

  it.skipIf(!numpyImports)('runs the numpy eigh reference on a matrix with known eigenvalues', () => {
    const reference = probePython('python3', 'numpy', process.env) as PythonReference;
    // diag(3, 1, 2) in raw little-endian float64, as numpy_eigh.py reads it.
    const path = join(directory, 'diag.f64');
    writeFileSync(path, new Uint8Array(Float64Array.from([3, 0, 0, 0, 1, 0, 0, 0, 2]).buffer));
    const result = runReference<{ times_ms: number[]; values: number[] }>(
      reference,
      'numpy_eigh',
      [path, 3, 4],
      'eigh failed',
    );
    expect(result.values).toEqual([3, 2, 1]);
    expect(result.times_ms).toHaveLength(4);
  });
});
