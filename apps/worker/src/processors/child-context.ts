// The sandboxed child's side: BullMQ forks one process per concurrent job slot and imports a
// processor file in it. The child opens its connections on its first job and keeps them for the
// next ones; it exits as soon as its parent is gone, so an orphan never finishes a job another
// worker is about to redo.
import { preferOptimizedWasm } from '@bilinear-lab/threads';
import { readEnv } from '../env.js';
import { type JobContext, openJobContext } from '../jobs/job-context.js';

preferOptimizedWasm();
// The IPC channel closes when the parent dies, even by SIGKILL.
process.once('disconnect', () => process.exit(1));

let context: JobContext | undefined;

export function childContext(): JobContext {
  context ??= openJobContext(readEnv(), 'worker-job');
  return context;
}
