import { Worker } from 'node:worker_threads';

/**
 * The thread behind a synchronous helper (InteractionHelper, EigenvectorThread): its entry point
 * posts one message once its modules are loaded and its kernels compiled. The worker is held only
 * while it starts, so that awaiting `ready` keeps the process alive, and an idle helper never keeps
 * a finished process from exiting. After an 'error' event or `close` it is `broken`: its owner then
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
        this.worker.unref();
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
    await this.worker.terminate();
  }
}

/** A worker entry point of this package: its build beside this file, also when run from source. */
function entryUrl(entry: string): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  return new URL(fromSource ? `../dist/${entry}.js` : `./${entry}.js`, import.meta.url);
}
