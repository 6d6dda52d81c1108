// A sandboxed job process must never outlive the worker that forked it: an orphan would keep a core
// busy on a job another worker is about to redo, and write to pipes nobody reads. Node reports the
// parent's death as 'disconnect' on the event loop, which a long synchronous computation (one
// eigendecomposition at d = 512 runs for minutes) never yields to; a worker thread keeps its own
// event loop, so it can watch the parent while the main thread spins, and SIGKILL the whole process.
import { Worker } from 'node:worker_threads';

/** How often the watching thread looks at the parent pid; bounds how long an orphan lives. */
const PARENT_CHECK_MS = 250;

// The thread's whole program. process.ppid is read from the kernel on every access: once the parent
// is gone the process is re-parented (to PID 1 or a subreaper), so the pid changes.
const WATCH_PARENT = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.parentPid) process.kill(process.pid, 'SIGKILL');
}, workerData.intervalMs);
`;

/** Errors that mean the parent's end of stdout, stderr or the IPC channel is gone. */
const BROKEN_LINK_CODES = new Set(['EPIPE', 'ERR_IPC_CHANNEL_CLOSED', 'ERR_IPC_DISCONNECTED']);

let watching = false;

/**
 * Ends this process as soon as its parent is gone: at once when the event loop is free (the IPC
 * channel's 'disconnect', or a write to the dead parent failing), and within PARENT_CHECK_MS when
 * the main thread is busy. Call once, at the child's start.
 */
export function exitWithParent(intervalMs = PARENT_CHECK_MS): void {
  if (watching) return;
  watching = true;
  const parentPid = process.ppid;
  const watcher = new Worker(WATCH_PARENT, { eval: true, workerData: { parentPid, intervalMs } });
  watcher.unref(); // the watch must not keep an otherwise finished process alive
  process.once('disconnect', () => process.exit(1));
  // BullMQ's own uncaughtException handler reports the error to the parent and then exits, but only
  // once that report is sent: with the parent gone the send fails, the failure is thrown again, and
  // the process loops on it at full speed. Listeners run in order, ours right after BullMQ's.
  process.on('uncaughtException', (error: NodeJS.ErrnoException) => {
    if (!process.connected || BROKEN_LINK_CODES.has(error.code ?? '')) process.exit(1);
  });
}
