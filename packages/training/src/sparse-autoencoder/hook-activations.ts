// What an SAE trains on: a language model's activations at one layer's hook point over token
// sequences, from core's exact forward pass (the same one `sae eval` splices into).
import { type LanguageModel, traceLanguageModel } from '@bilinear-lab/core';
import type { ActivationPass } from './activation-buffer.js';

/** The hook points an SAE can be trained at and evaluated on (splicing exists at the MLP's input and output). */
export type TrainableHookPoint = 'mlp-in' | 'mlp-out';
export const TRAINABLE_HOOK_POINTS: readonly TrainableHookPoint[] = ['mlp-in', 'mlp-out'];

/**
 * One pass over `sequences` in order, yielding each sequence's activations (length × d) at the hook
 * point: mlp-in is the normalised residual stream the MLP reads, mlp-out what it adds to the stream.
 */
export function hookActivationPass(
  model: LanguageModel,
  sequences: readonly ArrayLike<number>[],
  hook: { layer: number; point: TrainableHookPoint },
): ActivationPass {
  return function* () {
    for (const sequence of sequences) {
      if (sequence.length === 0) continue;
      const trace = traceLanguageModel(model, sequence, { mlp: true, logits: false });
      const at = hook.point === 'mlp-in' ? trace.mlpInputs : trace.mlpOutputs;
      yield at[hook.layer] as Float64Array;
    }
  };
}
