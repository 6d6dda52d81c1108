import { formatMilliseconds } from './table.js';

// How every benchmark times a piece of work: untimed warm-up runs (first-call compilation, thread
// start-up, allocations), then repeated timed runs of which the median is reported, and a warning
// when the runs spread so far apart that the machine is evidently busy.

export interface Timed<T> {
  /** The median of timesMs. */
  ms: number;
  /** Every timed run, in order, in milliseconds. */
  timesMs: number[];
  /** The last run's result. */
  result: T;
  /** Every timed run's result, in order (what a child process reported about itself, say). */
  results: T[];
}

export interface RepeatOptions {
  repeats: number;
  /** Untimed runs first (default 1). */
  warmups?: number;
  /** Called before each run with "warm-up" or "run r/R", for a status line. */
  onRun?: (label: string) => void;
}

/** Runs `work` warm-up times untimed, then `repeats` times timed. */
export function timeRepeats<T>(work: () => T, options: RepeatOptions): Timed<T> {
  const { repeats, warmups = 1, onRun } = options;
  checkRepeats(repeats, warmups);
  let result: T | undefined;
  for (let w = 0; w < warmups; w++) {
    onRun?.(warmups === 1 ? 'warm-up' : `warm-up ${w + 1}/${warmups}`);
    result = work();
  }
  const timesMs: number[] = [];
  const results: T[] = [];
  for (let r = 0; r < repeats; r++) {
    onRun?.(`run ${r + 1}/${repeats}`);
    const started = performance.now();
    result = work();
    timesMs.push(performance.now() - started);
    results.push(result);
  }
  return { ms: median(timesMs), timesMs, result: result as T, results };
}

function checkRepeats(repeats: number, warmups: number): void {
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new RangeError(`repeats must be a whole number ≥ 1, got ${repeats}`);
  }
  if (!Number.isInteger(warmups) || warmups < 0) {
    throw new RangeError(`warm-up runs must be a whole number ≥ 0, got ${warmups}`);
  }
}

/** The middle value, or the mean of the two middle values (numpy.median's definition). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the median of no values is undefined');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Timings whose slowest run took over this many times the fastest: other work is competing for the
 * cores (numpy's threaded BLAS in particular slows down many-fold when other processes want them).
 */
export const UNSTEADY_SPREAD = 2;

/** "numpy ranged 3.10 ms to 9.80 ms" when `timesMs` is unsteady, else null. */
export function unsteadiness(what: string, timesMs: readonly number[]): string | null {
  if (timesMs.length === 0) return null;
  const fastest = Math.min(...timesMs);
  const slowest = Math.max(...timesMs);
  return slowest > UNSTEADY_SPREAD * fastest
    ? `${what} ranged ${formatMilliseconds(fastest)} to ${formatMilliseconds(slowest)}`
    : null;
}

/**
 * The warning for unsteady timings, or null when all were steady. `subject` names the case
 * ("n = 784"), `figures` what becomes unreliable ("ratios", "rates").
 */
export function unsteadyWarning(
  findings: readonly (string | null)[],
  figures: string,
  subject?: string,
): string | null {
  const unsteady = findings.filter((text): text is string => text !== null);
  if (unsteady.length === 0) return null;
  return (
    `warning: ${subject === undefined ? '' : `${subject}: `}run times are unsteady (${unsteady.join('; ')}); ` +
    `the machine looks busy, so the ${figures} are unreliable`
  );
}
