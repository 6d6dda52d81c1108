// `bilinear decompose` decomposes on this thread while an interaction helper (packages/threads)
// builds the interaction matrices on a second. The helper needs ≈ 110 ms to start its thread, load
// the core and compile its kernels; started by the command once the program has loaded, it is ready
// only after the first output has been decomposed without it. So the program starts it first thing
// when its arguments name that command, and the command takes it from here.
import { availableParallelism } from 'node:os';
import { InteractionHelper } from '@bilinear-lab/threads';

let early: InteractionHelper | null = null;

/** Starts the helper when `args` (the arguments after the program's name) run a decomposition. */
export function startHelperEarly(args: readonly string[]): void {
  const [command, ...rest] = args;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  if (command === 'decompose' && !wantsHelp && availableParallelism() > 1) early = InteractionHelper.start();
}

/** The helper started early, if any and not yet taken; the caller closes it. */
export function takeEarlyHelper(): InteractionHelper | null {
  const helper = early;
  early = null;
  return helper;
}

/** Closes a helper that no command took (the arguments were refused before the command ran). */
export async function closeUntakenHelper(): Promise<void> {
  await takeEarlyHelper()?.close();
}
