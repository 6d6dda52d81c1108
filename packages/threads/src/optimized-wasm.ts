import { setFlagsFromString } from 'node:v8';

/**
 * Makes V8 compile WebAssembly with its optimising tier up front. The core's kernels run a few long
 * calls rather than many short ones, and V8 only swaps baseline (Liftoff) code for optimised code
 * between calls, so by default the first — often the only — call of each kernel runs 2–4× slower.
 * Flags are process-wide: call once, before the first decomposition, in every entry point.
 */
export function preferOptimizedWasm(): void {
  setFlagsFromString('--no-liftoff');
  setFlagsFromString('--no-wasm-lazy-compilation');
}
