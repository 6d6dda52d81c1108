import type { EigenvectorHelper, EigenvectorPartBuffers, EigenvectorPlan } from '@bilinear-lab/core';
import { HelperWorker } from './helper-worker.js';

/** States of the one job in flight, in a shared word. */
export const PartState = { Idle: 0, Posted: 1, Running: 2, Done: 3, Failed: 4, Reclaimed: 5 } as const;

/** How long the solver waits on a part the helper is computing before giving up on this helper. */
const HELPER_PATIENCE_MS = 60_000;

/** What the helper thread receives with each part. */
export interface PartMessage {
  plan: EigenvectorPlan;
  /** New buffers, when they changed since the last part. */
  buffers?: EigenvectorPartBuffers;
}

/**
 * A second thread for symmetricEigen's eigenvectors (its `helper` option): it computes the vectors
 * of the lower half of the spectrum from a shared copy of the tridiagonal reduction while the
 * calling thread computes the upper half. Whichever side reaches the part first claims it through a
 * shared word: a helper still starting up, or one that failed, leaves the part to the caller, which
 * never waits on a helper that has not begun. Buffers are kept between calls of the same size.
 */
export class EigenvectorThread implements EigenvectorHelper {
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  private readonly thread = new HelperWorker('eigenvector-worker', 'eigenvector helper', {
    control: this.control,
  });
  private current: EigenvectorPartBuffers | null = null;
  private sent = false;
  /** Parts this helper computed. */
  partsDone = 0;
  /** Set when a part outlived the patience: the helper may still write into the buffers. */
  private abandoned = false;

  private constructor(private readonly patient: boolean) {}

  /**
   * With `patient`, the solver waits for the helper to take its part rather than taking the part back
   * (it still does the part itself when the helper failed): for runs that must use both threads,
   * such as benchmarks and tests, on a machine whose other work may keep the helper from waking.
   */
  static start(options: { patient?: boolean } = {}): EigenvectorThread {
    return new EigenvectorThread(options.patient ?? false);
  }

  /** Resolves once the helper has loaded and compiled its kernels (rejects if it died first). */
  ready(): Promise<void> {
    return this.thread.ready;
  }

  private get broken(): boolean {
    return this.abandoned || this.thread.broken;
  }

  buffers(n: number, count: number): EigenvectorPartBuffers {
    const held = this.current;
    if (held && held.reflectors.length >= n * n && held.tau.length >= n && held.rows.length >= count * n) {
      return held;
    }
    const shared = (length: number) => new Float64Array(new SharedArrayBuffer(length * 8));
    this.current = {
      reflectors: shared(n * n),
      tau: shared(n),
      d: shared(n),
      e: shared(n),
      rows: shared(Math.max(count, held ? held.rows.length / n : 0) * n),
    };
    this.sent = false;
    return this.current;
  }

  start(plan: EigenvectorPlan): void {
    if (this.broken || !this.current) return;
    Atomics.store(this.control, 0, PartState.Posted);
    const message: PartMessage = this.sent ? { plan } : { plan, buffers: this.current };
    this.thread.post(message);
    this.sent = true;
  }

  finish(): boolean {
    if (this.broken) return false;
    if (
      !this.patient &&
      Atomics.compareExchange(this.control, 0, PartState.Posted, PartState.Reclaimed) === PartState.Posted
    )
      return false;
    const deadline = performance.now() + HELPER_PATIENCE_MS;
    for (
      let state = Atomics.load(this.control, 0);
      state === PartState.Running || state === PartState.Posted;
      state = Atomics.load(this.control, 0)
    ) {
      if (performance.now() > deadline) {
        // It may still write into these buffers: never hand it another part.
        Atomics.compareExchange(this.control, 0, PartState.Posted, PartState.Reclaimed);
        this.abandoned = true;
        return false;
      }
      Atomics.wait(this.control, 0, state, 200);
    }
    const done = Atomics.load(this.control, 0) === PartState.Done;
    if (done) this.partsDone++;
    else this.abandoned = true;
    return done;
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
