// What an SAE trains on: a language model's activations at one layer's hook point over token
// sequences, from core's exact forward pass (the same one `sae eval` splices into).
import {
  HOOK_POINTS,
  type HookPoint,
  hookValues,
  type LanguageModel,
  traceLanguageModel,
} from '@bilinear-lab/core';
import type { ActivationPass } from './activation-buffer.js';

/** Every hook point can be trained at and spliced into (the MLP's input and output, the residual stream). */
export type TrainableHookPoint = HookPoint;
export const TRAINABLE_HOOK_POINTS: readonly TrainableHookPoint[] = HOOK_POINTS;

/**
 * One pass over `sequences` in order, yielding each sequence's activations (length × d) at the hook
 * point: mlp-in is the normalised residual stream the MLP reads, mlp-out what it adds to the stream,
 * resid-pre / resid-mid / resid-post the residual stream before the layer, after its attention and
 * after its MLP.
 */
export function hookActivationPass(
  model: LanguageModel,
  sequences: readonly ArrayLike<number>[],
  hook: { layer: number; point: TrainableHookPoint },
): ActivationPass {
  const mlp = hook.point.startsWith('mlp');
  return function* () {
    for (const sequence of sequences) {
      if (sequence.length === 0) continue;
      const trace = traceLanguageModel(model, sequence, { mlp, residuals: !mlp, logits: false });
      yield hookValues(trace, hook.layer, hook.point);
    }
  };
}
