// Test support (not part of the build): run the built CLI as a child process, and write small
// seeded models to temporary directories.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededGaussian, type TensorToWrite, writeSafetensors } from '@bilinear-lab/core';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CLI_PATH = join(REPO_ROOT, 'packages/cli/dist/main.js');
/** The PyTorch-trained fixture (REFERENCE.md §7); CI has ../shared beside the clone. */
export const FIXTURE_DIR = join(REPO_ROOT, '../shared/fixtures');
export const EXAMPLE_MODEL = join(REPO_ROOT, 'examples/mnist-d64.safetensors');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node packages/cli/dist/main.js ...args`, with stdin closed and stdout/stderr captured. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): CliRun {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} does not exist: build first (npm test does; or npx turbo run build)`);
  }
  const { BILINEAR_DEBUG: _, ...inherited } = process.env;
  const run = spawnSync(process.execPath, [CLI_PATH, ...args], {
    encoding: 'utf8',
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 512 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * The built CLI as a running child process: `signalWhen` sends `signal` to it the first time its
 * stderr so far matches `pattern` (e.g. SIGINT once an epoch has finished).
 */
export function runCliUntil(
  args: readonly string[],
  signalWhen: { pattern: RegExp; signal: NodeJS.Signals },
): Promise<CliRun & { signalled: boolean }> {
  const { BILINEAR_DEBUG: _, ...inherited } = process.env;
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: inherited,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let signalled = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (!signalled && signalWhen.pattern.test(stderr)) {
      signalled = true;
      child.kill(signalWhen.signal);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, signalled }));
  });
}

/** A fresh temporary directory and a function that removes it. */
export function temporaryDirectory(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'bilinear-cli-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

function gaussianTensor(
  name: string,
  shape: [number, number],
  next: () => number,
  dtype: 'F32' | 'F64',
): TensorToWrite {
  const scale = 1 / Math.sqrt(shape[1]);
  return {
    name,
    dtype,
    shape,
    data: Float64Array.from({ length: shape[0] * shape[1] }, () => scale * next()),
  };
}

export interface ClassifierShape {
  inputDim: number;
  d: number;
  classes: number;
  blocks?: number;
  seed?: number;
  dtype?: 'F32' | 'F64';
}

/** The reference image-classifier layout: embed [d, in], blocks.{i} [2d, d], head [classes, d]. */
export function classifierTensors(shape: ClassifierShape): TensorToWrite[] {
  const { inputDim, d, classes, blocks = 1, seed = 1, dtype = 'F64' } = shape;
  const next = seededGaussian(seed);
  return [
    gaussianTensor('embed.weight', [d, inputDim], next, dtype),
    ...Array.from({ length: blocks }, (_, i) =>
      gaussianTensor(`blocks.${i}.weight`, [2 * d, d], next, dtype),
    ),
    gaussianTensor('head.weight', [classes, d], next, dtype),
  ];
}

export interface LanguageModelShape {
  vocab: number;
  d: number;
  hidden: number;
  layers: number;
  seed?: number;
}

/** The reference language-model layout (HF-style keys), MLP weights only. */
export function languageModelTensors(shape: LanguageModelShape): TensorToWrite[] {
  const { vocab, d, hidden, layers, seed = 2 } = shape;
  const next = seededGaussian(seed);
  return [
    gaussianTensor('transformer.wte.weight', [vocab, d], next, 'F64'),
    ...Array.from({ length: layers }, (_, i) => [
      gaussianTensor(`transformer.h.${i}.mlp.w.weight`, [2 * hidden, d], next, 'F64'),
      gaussianTensor(`transformer.h.${i}.mlp.p.weight`, [d, hidden], next, 'F64'),
    ]).flat(),
    gaussianTensor('lm_head.weight', [vocab, d], next, 'F64'),
  ];
}

/** Writes tensors as a safetensors file at `path` and returns the path. */
export function writeModel(
  path: string,
  tensors: readonly TensorToWrite[],
  metadata: Record<string, string> = {},
): string {
  writeFileSync(path, writeSafetensors(tensors, metadata));
  return path;
}
