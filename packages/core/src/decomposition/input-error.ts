/** A decomposition request that does not fit the model (an output out of range, a layer it lacks…). */
export class DecompositionInputError extends Error {
  override readonly name = 'DecompositionInputError';
}

/** The indices as given, checked to lie in 0..count-1 and to appear once each. */
export function checkedOutputs(outputs: readonly number[], count: number, what: string): number[] {
  const seen = new Set<number>();
  for (const index of outputs) {
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new DecompositionInputError(`${what} ${index} is out of range 0..${count - 1} for this model`);
    }
    if (seen.has(index)) throw new DecompositionInputError(`${what} ${index} is listed twice`);
    seen.add(index);
  }
  return [...outputs];
}
