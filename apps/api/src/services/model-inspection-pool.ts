// Model files are read and scored on worker threads (threads/inspect-model-file.ts), never on the
// event loop. A thread holds TensorFlow.js and the MNIST test split — well over 100 MB once it has
// scored a model — so there are few of them (`threads`), requests beyond those wait in a queue of
// bounded length, and a request that finds the queue full is refused with 503 and Retry-After rather
// than held: issue 11 had one thread per request, and 30 imports at once took the API to 5.4 GB.
// A thread that has had nothing to do for `idleMs` is ended, so its memory goes back to the system.
import { Worker } from 'node:worker_threads';
import { serviceUnavailable } from '../errors.js';
import type { InspectReply, InspectRequest, InspectResult } from '../threads/inspect-model-file.js';

// A thread runs JavaScript: from the build, its sibling; from the sources (vitest), the built copy.
const THREAD_FILE = new URL(
  import.meta.url.endsWith('.ts')
    ? '../../dist/threads/inspect-model-file.js'
    : '../threads/inspect-model-file.js',
  import.meta.url,
);

export interface ModelInspectionLimits {
  /** Threads at most (each scores one model at a time). */
  threads: number;
  /** Requests that may wait for a thread; one more is refused with 503. */
  queueLength: number;
  /** A thread with nothing to do for this long is ended. */
  idleMs: number;
}

/** The bytes handed back (they travel to the thread and back without a copy) and what was found. */
export interface Inspection {
  result: InspectResult;
  bytes: Uint8Array<ArrayBuffer>;
}

interface Task {
  request: InspectRequest;
  resolve(inspection: Inspection): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  task: Task | null;
  idleTimer: NodeJS.Timeout | null;
}

export class ModelInspectionPool {
  private readonly threads = new Set<Thread>();
  private readonly waiting: Task[] = [];
  private closed = false;
  /** Recent inspection time, for Retry-After; starts at a guess of 1 s. */
  private averageMs = 1_000;

  constructor(private readonly limits: ModelInspectionLimits) {}

  /** Live threads (busy or idle): 0 once every thread has been idle for idleMs. */
  get threadCount(): number {
    return this.threads.size;
  }

  /**
   * Reads `bytes` on a pool thread. Its whole buffer is transferred to the thread (so `bytes` must
   * own it, and is unusable until the inspection hands it back). Throws AppError 503 when the queue
   * is full.
   */
  inspect(bytes: Uint8Array<ArrayBuffer>, residual: boolean | null): Promise<Inspection> {
    if (this.closed) return Promise.reject(serviceUnavailable('the API is shutting down', 5));
    const idle = [...this.threads].find((thread) => thread.task === null);
    const full = this.threads.size >= this.limits.threads && this.waiting.length >= this.limits.queueLength;
    if (idle === undefined && full) {
      const ahead = this.waiting.length + this.threads.size;
      const seconds = Math.max(1, Math.ceil((ahead * this.averageMs) / this.limits.threads / 1000));
      return Promise.reject(
        serviceUnavailable(
          `${ahead} model files are being read or waiting, the most this server takes at once; ` +
            `try again in ${seconds} s`,
          seconds,
        ),
      );
    }
    return new Promise<Inspection>((resolve, reject) => {
      const task: Task = { request: { bytes, residual }, resolve, reject };
      const thread = idle ?? (this.threads.size < this.limits.threads ? this.start() : undefined);
      if (thread === undefined) this.waiting.push(task);
      else this.run(thread, task);
    });
  }

  /** Ends every thread; waiting and running inspections fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.waiting.splice(0)) task.reject(new Error('the model-inspection pool closed'));
    await Promise.all([...this.threads].map((thread) => thread.worker.terminate()));
  }

  private start(): Thread {
    const thread: Thread = { worker: new Worker(THREAD_FILE), task: null, idleTimer: null };
    this.threads.add(thread);
    thread.worker.on('message', (reply: InspectReply) => {
      const task = thread.task;
      thread.task = null;
      task?.resolve(reply);
      this.next(thread);
    });
    thread.worker.on('error', (error) => {
      const task = thread.task;
      thread.task = null;
      task?.reject(error);
    });
    thread.worker.on('exit', (code) => {
      this.threads.delete(thread);
      if (thread.idleTimer) clearTimeout(thread.idleTimer);
      thread.task?.reject(new Error(`the model-file thread exited with code ${code}`));
      thread.task = null;
      // A thread that died leaves its place to the next waiting request.
      if (!this.closed && this.threads.size < this.limits.threads) {
        const waiting = this.waiting.shift();
        if (waiting) this.run(this.start(), waiting);
      }
    });
    return thread;
  }

  private run(thread: Thread, task: Task): void {
    if (thread.idleTimer) clearTimeout(thread.idleTimer);
    thread.idleTimer = null;
    thread.task = task;
    const started = performance.now();
    const { resolve } = task;
    task.resolve = (inspection) => {
      this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
      resolve(inspection);
    };
    const { buffer } = task.request.bytes;
    thread.worker.postMessage(task.request, [buffer]);
  }

  private next(thread: Thread): void {
    const task = this.waiting.shift();
    if (task) {
      this.run(thread, task);
      return;
    }
    thread.idleTimer = setTimeout(() => {
      // Out of the pool first: a request arriving while it ends starts a fresh thread instead.
      this.threads.delete(thread);
      void thread.worker.terminate();
    }, this.limits.idleMs);
    thread.idleTimer.unref();
  }
}
