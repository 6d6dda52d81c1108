import { erf } from '../special/erf.js';
import type { Gate } from './config.js';

/**
 * The activation a gated block applies to its left half, act(W x) ⊙ (V x), as PyTorch defines it
 * (GELU: the exact erf form, torch's default); identity for the bilinear block.
 */
export function gateActivation(gate: Gate): (a: number) => number {
  switch (gate) {
    case 'none':
      return (a) => a;
    case 'relu':
      return (a) => Math.max(a, 0);
    case 'silu':
      return (a) => a / (1 + Math.exp(-a));
    case 'gelu':
      return (a) => 0.5 * a * (1 + erf(a * Math.SQRT1_2));
  }
}

/**
 * Why a block with this gate cannot be decomposed, or null for the bilinear block. The one sentence
 * every refusal uses (CLI, API, worker, dashboard).
 */
export function notBilinearReason(gate: Gate): string | null {
  return gate === 'none'
    ? null
    : `gate ${gate}: the block is not bilinear, its outputs are not quadratic forms of its input`;
}
