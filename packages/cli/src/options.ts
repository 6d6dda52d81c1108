import { describeDatasetSpecs, LOCAL_DATASET_KINDS } from '@bilinear-lab/datasets';
import { InvalidArgumentError, Option } from 'commander';
import type { CliEnv } from './env.js';
import { CliInputError } from './errors.js';

const WHOLE = /^\d+$/;

function parseWhole(text: string, min: number): number | null {
  const trimmed = text.trim();
  if (!WHOLE.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) && value >= min ? value : null;
}

/** A commander argument parser for a whole number ≥ min (decimal digits only: no 1e3, no 0x10). */
export function wholeNumber(min: number): (text: string) => number {
  return (text) => {
    const value = parseWhole(text, min);
    if (value === null) throw new InvalidArgumentError(`It must be a whole number ≥ ${min}.`);
    return value;
  };
}

/** A commander argument parser for a comma-separated list of whole numbers ≥ min, e.g. `0,3,7`. */
export function wholeNumberList(min: number): (text: string) => number[] {
  return (text) => {
    const items = text.split(',');
    const values = items.map((item) => parseWhole(item, min));
    const bad = values.indexOf(null);
    if (bad >= 0) {
      throw new InvalidArgumentError(
        `It must be a comma-separated list of whole numbers ≥ ${min} (e.g. 0,3,7); "${items[bad]}" is not one.`,
      );
    }
    return values as number[];
  };
}

const DECIMAL = /^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A commander argument parser for a finite decimal number ≥ min (or > min with `exclusive`), in plain
 * or exponent form: 0.5, 1e-3, .25. No signs other than +, no hex, no Infinity.
 */
export function decimalNumber(min: number, exclusive = false): (text: string) => number {
  const bound = exclusive ? `> ${min}` : `≥ ${min}`;
  return (text) => {
    const trimmed = text.trim();
    const value = Number(trimmed);
    if (!DECIMAL.test(trimmed) || !Number.isFinite(value) || (exclusive ? value <= min : value < min)) {
      throw new InvalidArgumentError(`It must be a number ${bound} (e.g. 0.5 or 1e-3).`);
    }
    return value;
  };
}

/** A commander argument parser for a whole number in [min, max]. */
export function wholeNumberUpTo(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = parseWhole(text, min);
    if (value === null || value > max) {
      throw new InvalidArgumentError(`It must be a whole number from ${min} to ${max}.`);
    }
    return value;
  };
}

// Options several training commands share.

export const GATES = ['none', 'relu', 'silu', 'gelu'] as const;
// The training package's BACKENDS, written out: importing it here would load TensorFlow.js for every command.
export const BACKEND_REQUESTS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export const DATASET_HELP = `one of ${describeDatasetSpecs(LOCAL_DATASET_KINDS)}`;
/** More gradient threads than this only adds start-up time and memory on any machine we target. */
export const MAX_THREADS = 64;

/** --backend, defaulting to BILINEAR_BACKEND when that is set (checked like the flag), else auto. */
export function backendOption(env: CliEnv): Option {
  const fromEnv = env.backend;
  if (fromEnv !== undefined && !(BACKEND_REQUESTS as readonly string[]).includes(fromEnv)) {
    throw new CliInputError(
      `BILINEAR_BACKEND=${fromEnv}: not a backend; choose one of ${BACKEND_REQUESTS.join(', ')}`,
    );
  }
  return new Option(
    '--backend <name>',
    'compute backend; auto takes the fastest that loads, webgpu only with BILINEAR_WEBGPU=1 (env: BILINEAR_BACKEND)',
  )
    .choices(BACKEND_REQUESTS)
    .default(fromEnv ?? 'auto');
}

export function threadsOption(): Option {
  return new Option(
    '--threads <n>',
    'gradient threads (default: one per core up to 4; 1 on native TensorFlow)',
  ).argParser(wholeNumberUpTo(1, MAX_THREADS));
}
