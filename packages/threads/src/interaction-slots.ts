import type { Matrix } from '@bilinear-lab/core';

/**
 * What the decomposing thread and the interaction helper share: per output j, state[j] says who
 * builds Q(u_j) and whether it is ready; after the count outputs come two control words.
 */
export const SlotState = {
  /** Nobody has claimed output j yet. */
  Unclaimed: 0,
  /** The helper is building it. */
  Building: 1,
  /** The helper has built and reduced it into slot j mod ring (a packed TridiagonalReduction). */
  Ready: 2,
  /**
   * The helper has built it into slot j mod ring (Q itself, d × d) and left the reduction to the
   * decomposing thread, which was already waiting for it.
   */
  ReadyUnreduced: 5,
  /** The decomposing thread builds it itself. */
  TakenHere: 3,
  /** The helper could not build it (the decomposing thread does). */
  Failed: 4,
  /** state[count + this]: outputs the decomposing thread has finished with (slots below it are free). */
  ConsumedIndexOffset: 0,
  /** state[count + this]: nonzero once the helper has failed. */
  FailedIndexOffset: 1,
} as const;

/** One decomposition's matrices, as the helper thread receives them. */
export interface PrefetchJob {
  /** Which layer: the same number as the job before means the same weights, sent only once. */
  layerId: number;
  /** The layer's weights, when the helper has not been sent them before. */
  layer?: { left: Matrix; right: Matrix };
  /** Hidden units h and input order d. */
  hiddenUnits: number;
  order: number;
  /** count × h: the hidden-unit weights s = Pᵀu of each output direction. */
  hidden: Float64Array;
  count: number;
  ring: number;
  state: Int32Array;
  slots: Float64Array;
}
