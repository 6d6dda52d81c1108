import { missingReferenceMessage, type PythonReference, probePython } from '@bilinear-lab/bench';
import { CliInputError } from './errors.js';

/**
 * numpy in `python`, which the bench commands cannot run without: a missing interpreter or module
 * is an input error (exit 2) whose message starts with what the reference is for (`purpose`).
 */
export function requireNumpy(
  python: string,
  inherited: Readonly<Record<string, string | undefined>>,
  purpose: string,
): PythonReference {
  const reference = probePython(python, 'numpy', inherited);
  if (!reference.available) throw new CliInputError(missingReferenceMessage(reference, purpose));
  return reference;
}
