import { Worker } from 'node:worker_threads';

/**
 * The thread behind a synchronous helper (InteractionHelper, EigenvectorThread): its entry point
 * posts one message once its modules are loaded and its kernels compiled. The worker is held only
 * while it starts and while it closes, so that awaiting `ready` or `close` keeps the process alive,
 * and an idle helper never keeps a finished process from exiting. After an 'error' event or `close` it is `broken`: its owner then
 * hands it nothing more.
 */
export class HelperWorker {
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private failed = false;

  constructor(entry: string, name: string, workerData?: unknown) {
    this.worker = new Worker(entryUrl(entry), { workerData });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('message', () => {
        // Its 'ready' may be heard only after close() (a caller that never yielded in between):
        // a closing worker stays held until it has exited.
        if (!this.failed) this.worker.unref();
        resolve();
      });
      this.worker.once('exit', (code) => reject(new Error(`the ${name} exited (code ${code})`)));
    });
    this.ready.catch(() => {});
    this.worker.on('error', () => {
      this.failed = true;
    });
  }

  get broken(): boolean {
    return this.failed;
  }

  post(message: unknown): void {
    this.worker.postMessage(message);
  }

  async close(): Promise<void> {
    this.failed = true;
    // Held again until it has exited: an unreferenced worker's 'exit' may never be heard, and a
    // process awaiting close() at its top level would then end with nothing left to run (exit 13).
    this.worker.ref();
    await this.worker.terminate();
  }
}

/** A worker entry point of this package: its build beside this file, also when run from source. */
function entryUrl(entry: string): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  return new URL(fromSource ? `../dist/${entry}.js` : `./${entry}.js`, import.meta.url);
}
