// The sandboxed child's side: BullMQ forks one process per concurrent job slot and imports a
// processor file in it. The child opens its connections on its first job and keeps them for the
// next ones; it exits as soon as its parent is gone (exit-with-parent.ts), so an orphan never
// finishes a job another worker is about to redo.
import { preferOptimizedWasm } from '@bilinear-lab/threads';
import { readEnv } from '../env.js';
import { type JobContext, openJobContext } from '../jobs/job-context.js';
import { exitWithParent } from './exit-with-parent.js';

preferOptimizedWasm();
exitWithParent();

let context: JobContext | undefined;

export function childContext(): JobContext {
  context ??= openJobContext(readEnv(), 'worker-job');
  return context;
}
