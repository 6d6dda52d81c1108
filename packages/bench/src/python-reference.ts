import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A benchmark's reference runs in a Python child process (numpy or PyTorch) in the same run, from a
// script in this package's python/ folder: one file per reference, found the same way from src/ and
// dist/ (both sit one level below the package).

export type ReferenceModule = 'numpy' | 'torch';

/** An interpreter that imports the module: what the reference runs in. */
export interface PythonReference {
  available: true;
  python: string;
  module: ReferenceModule;
  version: string;
  /** The BLAS the module was built against (numpy: e.g. "scipy-openblas"; torch: "mkl", "open", "generic"), when it says. */
  blas: string | null;
  /** The environment every reference run gets (see referenceEnvironment). */
  env: Record<string, string | undefined>;
}

/** No reference on this machine: the interpreter is missing, cannot start, or lacks the module. */
export interface AbsentReference {
  available: false;
  python: string;
  module: ReferenceModule;
  /** What went wrong, to follow the interpreter's name: "was not found", "cannot import numpy (…)". */
  reason: string;
}

/**
 * These variables pin OpenBLAS to old, slow kernels on the project's machines; the honest
 * comparison is against numpy and PyTorch at full speed, so every reference runs without them.
 */
export const SLOWING_VARIABLES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

/** What the table's notes say about the reference's environment. */
export const ENVIRONMENT_NOTE = `${SLOWING_VARIABLES.join('/')} unset`;

/** `inherited` without the variables that slow the reference down. */
export function referenceEnvironment(
  inherited: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const env = { ...inherited };
  for (const name of SLOWING_VARIABLES) delete env[name];
  return env;
}

/** The reference scripts shipped with this package. */
export type ReferenceScript =
  | 'probe'
  | 'numpy_eigh'
  | 'numpy_matmul'
  | 'numpy_lm_decompose'
  | 'numpy_mnist_eigh'
  | 'torch_train'
  | 'torch_sae_step';

/** The path of python/<script>.py. */
export function referenceScriptPath(script: ReferenceScript): string {
  return fileURLToPath(new URL(`../python/${script}.py`, import.meta.url));
}

/**
 * Whether `python` runs and imports `module`, with its version and BLAS. Never throws for a missing
 * interpreter or module: the caller decides whether the reference is required (missingReferenceMessage)
 * or optional (a column reported absent).
 */
export function probePython(
  python: string,
  module: ReferenceModule,
  inherited: Readonly<Record<string, string | undefined>>,
): PythonReference | AbsentReference {
  const env = referenceEnvironment(inherited);
  const probe = runScript(python, referenceScriptSource('probe'), [module], env);
  if (probe.error) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'was not found' : `could not be started (${probe.error.message})`;
    return { available: false, python, module, reason };
  }
  if (probe.status !== 0) {
    const why = probe.stderr.trim().split('\n').at(-1) || `exit status ${probe.status}`;
    return { available: false, python, module, reason: `cannot import ${module} (${why})` };
  }
  const { version, blas } = parseJson<{ version: string; blas: string | null }>(
    probe.stdout,
    `${python} probing ${module}`,
  );
  return { available: true, python, module, version, blas, env };
}

const INSTALL: Record<ReferenceModule, string> = {
  numpy: 'Debian: apt-get install python3-numpy',
  torch: 'Debian: apt-get install python3-torch',
};

/**
 * The error message for a reference the benchmark cannot run without: `purpose` says what the
 * reference is for ("bench eig times numpy.linalg.eigh side by side"), `flag` how to name another
 * interpreter.
 */
export function missingReferenceMessage(absent: AbsentReference, purpose: string, flag = '--python'): string {
  const module = absent.module === 'numpy' ? 'numpy' : 'PyTorch';
  return (
    `${purpose} and needs Python 3 with ${module}, but ${absent.python} ${absent.reason}; ` +
    `install them (${INSTALL[absent.module]}) or name another interpreter with ${flag}`
  );
}

/** The one-line description of a reference for a table's notes: "numpy 2.4.6 (scipy-openblas) in python3". */
export function describeReference(reference: PythonReference | AbsentReference): string {
  if (!reference.available)
    return `${reference.module}: not available (${reference.python} ${reference.reason})`;
  const blas = reference.blas ? ` (${reference.blas})` : '';
  return `${reference.module} ${reference.version}${blas} in ${reference.python}`;
}

/**
 * Runs a reference script (this package's, or another package's own reference file by path) and
 * returns its JSON answer. A failure throws an Error that starts with `failure` ("numpy.linalg.eigh
 * failed for n = 16") and carries the script's stderr.
 */
export function runReference<T>(
  reference: PythonReference,
  script: ReferenceScript | { path: string },
  args: readonly (string | number)[],
  failure: string,
): T {
  const source =
    typeof script === 'string' ? referenceScriptSource(script) : readFileSync(script.path, 'utf8');
  const run = runScript(reference.python, source, args.map(String), reference.env);
  if (run.error || run.status !== 0) {
    throw new Error(
      `${failure}: ${run.error?.message ?? (run.stderr.trim() || `exit status ${run.status}`)}`,
    );
  }
  return parseJson<T>(run.stdout, failure);
}

/**
 * The source goes in with `-c` rather than as a file name, so the script's folder is not put first
 * on sys.path (where a stray numpy.py would shadow the real module) and the command line is the
 * one the references always had.
 */
function runScript(
  python: string,
  source: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
) {
  return spawnSync(python, ['-c', source, ...args], {
    env,
    encoding: 'utf8',
    // The eigenvalues of every sampled direction come back as JSON.
    maxBuffer: 256 * 1024 * 1024,
  });
}

const sources = new Map<ReferenceScript, string>();

function referenceScriptSource(script: ReferenceScript): string {
  let source = sources.get(script);
  if (source === undefined) {
    source = readFileSync(referenceScriptPath(script), 'utf8');
    sources.set(script, source);
  }
  return source;
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${what}: the reference printed no JSON answer: ${JSON.stringify(text.slice(0, 200))}`);
  }
}
