import {
  type BilinearLayer,
  type DecomposeOptions,
  type Decomposition,
  type DecompositionTarget,
  hiddenWeights,
  type OutputDecomposition,
  packedTridiagonalReduction,
  startDecomposition,
  type TridiagonalReduction,
  tridiagonalReductionLength,
} from '@bilinear-lab/core';
import { HelperWorker } from './helper-worker.js';
import { type PrefetchJob, SlotState } from './interaction-slots.js';

/** Interaction matrices held ready at once: the helper runs at most this many outputs ahead. */
const RING = 3;

/** How long the decomposing thread waits on a matrix the helper is building before building it too. */
const HELPER_PATIENCE_MS = 30_000;

/**
 * A second thread that builds the interaction matrices Q(u_j) of decompositions ahead of the thread
 * decomposing them and reduces each to tridiagonal form (tridiagonalReduction), so that building and
 * reducing one output's Q overlaps solving the previous one from its reduction. Start it
 * early: its module load and kernel compile then overlap the caller's own set-up (reading the
 * model, the exactness samples). One helper serves any number of decompositions, one at a time.
 */
export class InteractionHelper {
  private readonly thread = new HelperWorker('interaction-worker', 'interaction helper');
  /** Interaction matrices this helper has handed over, over all its decompositions. */
  matricesBuilt = 0;
  private readonly layerIds = new WeakMap<BilinearLayer, number>();
  private nextLayerId = 1;
  private lastLayerId: number | null = null;

  private constructor(private readonly patient: boolean) {}

  /** Resolves once the helper has loaded and compiled its kernels (rejects if it died first). */
  ready(): Promise<void> {
    return this.thread.ready;
  }

  /**
   * With `patient`, the solver waits for the helper's matrices rather than building those the helper
   * has not reached (it still builds them when the helper failed): for runs that must use both
   * threads, such as tests, on a machine whose other work may keep the helper from keeping up.
   */
  static start(options: { patient?: boolean } = {}): InteractionHelper {
    return new InteractionHelper(options.patient ?? false);
  }

  /** Hands the helper the matrices of one decomposition: hidden weights s_j = Pᵀu_j, count × h. */
  prefetch(layer: BilinearLayer, hidden: Float64Array, count: number): Prefetch {
    const d = layer.left.cols;
    // A layer object the helper has seen is not copied to it again: a worker decomposing one model
    // after another keeps its weights (and the helper its builder) from job to job.
    let layerId = this.layerIds.get(layer);
    if (layerId === undefined) {
      layerId = this.nextLayerId++;
      this.layerIds.set(layer, layerId);
    }
    const job: PrefetchJob = {
      layerId,
      ...(layerId === this.lastLayerId ? {} : { layer: { left: layer.left, right: layer.right } }),
      hiddenUnits: layer.left.rows,
      order: d,
      hidden: new Float64Array(new SharedArrayBuffer(hidden.byteLength)),
      count,
      ring: RING,
      state: new Int32Array(new SharedArrayBuffer((count + 2) * 4)),
      slots: new Float64Array(new SharedArrayBuffer(RING * tridiagonalReductionLength(d) * 8)),
    };
    job.hidden.set(hidden);
    if (this.thread.broken) Atomics.store(job.state, count + SlotState.FailedIndexOffset, 1);
    else {
      this.thread.post(job);
      this.lastLayerId = layerId;
    }
    return new Prefetch(job, d, this.patient, () => {
      this.matricesBuilt++;
    });
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}

/**
 * One decomposition's matrices. Each Q is claimed by whichever thread gets to it first through an
 * atomic per-output state: until the helper has started, the decomposing thread builds its own, and
 * if the helper fails, the rest are built where they are needed. Q is the same either way: the same
 * kernel on the same float64 weights.
 */
export class Prefetch {
  private readonly consumed: number;
  private readonly failed: number;

  constructor(
    private readonly job: PrefetchJob,
    private readonly order: number,
    private readonly patient: boolean,
    private readonly onHandedOver: () => void,
  ) {
    this.consumed = job.count + SlotState.ConsumedIndexOffset;
    this.failed = job.count + SlotState.FailedIndexOffset;
  }

  /**
   * Q of output j, reduced to tridiagonal form or as it is (views into shared memory, valid until
   * `release(j)`), or null when the caller should build it: the helper has not reached it (the
   * caller then claims it) or could not build it.
   */
  take(j: number): TridiagonalReduction | Float64Array | null {
    const { state, slots, ring } = this.job;
    const claim = () => Atomics.compareExchange(state, j, SlotState.Unclaimed, SlotState.TakenHere);
    if (!this.patient && claim() === SlotState.Unclaimed) return null;
    // Bounded waits: a helper that failed mid-build says so in the failure word; one that went
    // silent (a thread stopped from outside) is given up on, and Q built here after all.
    const deadline = performance.now() + HELPER_PATIENCE_MS;
    for (
      let now = Atomics.load(state, j);
      now === SlotState.Building || now === SlotState.Unclaimed;
      now = Atomics.load(state, j)
    ) {
      if (Atomics.load(state, this.failed) !== 0 || performance.now() > deadline) {
        // Taken here after all; a helper still building it finds its slot state changed and moves on.
        if (now === SlotState.Unclaimed && claim() !== SlotState.Unclaimed) continue;
        return null;
      }
      Atomics.wait(state, j, now, 200);
    }
    const ready = Atomics.load(state, j);
    if (ready !== SlotState.Ready && ready !== SlotState.ReadyUnreduced) return null;
    this.onHandedOver();
    const size = tridiagonalReductionLength(this.order);
    const slot = slots.subarray((j % ring) * size, ((j % ring) + 1) * size);
    return ready === SlotState.Ready
      ? packedTridiagonalReduction(slot, this.order)
      : slot.subarray(0, this.order * this.order);
  }

  /** Output j is done with: its slot may take the next matrix. */
  release(j: number): void {
    Atomics.store(this.job.state, this.consumed, j + 1);
    Atomics.notify(this.job.state, this.consumed);
  }

  /** Ends the job early or late: a helper still on it stops at its next output. */
  finish(): void {
    Atomics.store(this.job.state, this.consumed, this.job.count + 2);
    Atomics.notify(this.job.state, this.consumed);
  }
}

export interface PrefetchedDecomposeHooks {
  onProgress?: (done: number, total: number, label: string) => void;
  /** Takes each output as it is decomposed, in order; the result then holds none. Awaited. */
  onOutput?: (output: OutputDecomposition, position: number) => void | Promise<void>;
  /** Awaited before each output: a cancelled job throws from here. */
  beforeOutput?: (position: number, total: number) => Promise<void>;
}

/**
 * decomposeTarget on this thread with the helper building the interaction matrices: the same
 * decomposition, with the Q builds (2·h·d² flops per output) and their tridiagonal reductions
 * (4/3·d³) — together about half of each output's work at d = 512 — on a second core.
 */
export async function decomposeTargetWithHelper(
  helper: InteractionHelper,
  target: DecompositionTarget,
  options: DecomposeOptions,
  hooks: PrefetchedDecomposeHooks = {},
): Promise<Decomposition> {
  const count = target.outputs.length;
  const h = target.layer.left.rows;
  const { cols } = target.directions;
  const hidden = new Float64Array(count * h);
  for (let j = 0; j < count; j++) {
    const direction = target.directions.data.subarray(j * cols, (j + 1) * cols);
    hidden.set(hiddenWeights(target.projection, direction), j * h);
  }
  const prefetch = helper.prefetch(target.layer, hidden, count);
  const outputs: OutputDecomposition[] = [];
  let run: ReturnType<typeof startDecomposition>;
  try {
    run = startDecomposition(target, options);
    for (let j = 0; j < count; j++) {
      await hooks.beforeOutput?.(j, count);
      const output = run.output(j, prefetch.take(j) ?? undefined);
      prefetch.release(j);
      outputs.push(output);
      hooks.onProgress?.(j + 1, count, output.label);
      await hooks.onOutput?.(output, j);
    }
  } finally {
    prefetch.finish();
  }
  const decomposition = run.finish(
    outputs,
    target.outputs.map((_, j) => j),
  );
  // Passed on one by one: the result keeps only what covers them all (the exactness check).
  return hooks.onOutput ? { ...decomposition, outputs: [] } : decomposition;
}
