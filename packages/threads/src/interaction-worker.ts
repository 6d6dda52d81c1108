// Entry point of the interaction helper thread (see InteractionHelper): for each job it receives,
// builds Q(u_j) for the outputs in order and reduces it to tridiagonal form, each into its ring slot,
// skipping those the decomposing thread took itself.
import { parentPort } from 'node:worker_threads';
import {
  compileKernels,
  InteractionMatrixBuilder,
  tridiagonalReduction,
  tridiagonalReductionLength,
} from '@bilinear-lab/core';
import { type PrefetchJob, SlotState } from './interaction-slots.js';
import { preferOptimizedWasm } from './optimized-wasm.js';

preferOptimizedWasm();
// Compile the kernels now, while the caller reads its model, not when the first job arrives.
compileKernels();

parentPort?.on('message', (job: PrefetchJob) => serve(job));
parentPort?.postMessage('ready');

/** The builder of the last layer sent, kept for the jobs that name it again. */
let kept: { layerId: number; builder: InteractionMatrixBuilder } | null = null;

function builderFor(job: PrefetchJob): InteractionMatrixBuilder {
  if (job.layer) kept = { layerId: job.layerId, builder: new InteractionMatrixBuilder(job.layer) };
  if (!kept || kept.layerId !== job.layerId) throw new Error(`layer ${job.layerId} was never sent`);
  return kept.builder;
}

function serve(job: PrefetchJob): void {
  const { hidden, count, ring, state, slots } = job;
  const consumed = count + SlotState.ConsumedIndexOffset;
  const h = job.hiddenUnits;
  const d = job.order;
  const size = tridiagonalReductionLength(d);
  let j = 0;
  let claimed = false;
  try {
    const builder = builderFor(job);
    for (; j < count; j++) {
      // Slot j mod ring is free once output j − ring has been consumed.
      let seen = Atomics.load(state, consumed);
      for (; j - seen >= ring; seen = Atomics.load(state, consumed)) Atomics.wait(state, consumed, seen);
      if (seen > count) return; // finished
      claimed =
        Atomics.compareExchange(state, j, SlotState.Unclaimed, SlotState.Building) === SlotState.Unclaimed;
      if (!claimed) continue;
      const q = builder.inArena(hidden.subarray(j * h, (j + 1) * h));
      const slot = (j % ring) * size;
      // Reduced to tridiagonal form here too, unless the decomposing thread is already waiting for
      // it (done with every earlier output): then handing Q over at once keeps both threads busy.
      const waiting = Atomics.load(state, consumed) >= j;
      if (waiting) slots.set(q, slot);
      else tridiagonalReduction(q, d, slots.subarray(slot, slot + size));
      Atomics.store(state, j, waiting ? SlotState.ReadyUnreduced : SlotState.Ready);
      Atomics.notify(state, j);
      claimed = false;
    }
  } catch {
    // The decomposing thread builds whatever is left; it needs only to know, not why.
    Atomics.store(state, count + SlotState.FailedIndexOffset, 1);
    if (claimed) {
      Atomics.store(state, j, SlotState.Failed);
      Atomics.notify(state, j);
    }
  }
}
