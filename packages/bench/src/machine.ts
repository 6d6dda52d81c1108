import { availableParallelism, loadavg } from 'node:os';
import type { AbsentReference, PythonReference } from './python-reference.js';

/**
 * What a figure was measured on, for the report: cores, the load average (a busy machine makes
 * every ratio unreliable), Node's version and each reference's.
 * "machine: 2 cores, load average 0.74 0.86 0.76, node v20.19.0, numpy 2.4.6 (scipy-openblas)"
 */
export function machineLine(references: readonly (PythonReference | AbsentReference)[] = []): string {
  const cores = availableParallelism();
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  const parts = [`${cores} core${cores === 1 ? '' : 's'}`, `load average ${load}`, `node ${process.version}`];
  for (const reference of references) {
    if (!reference.available) parts.push(`no ${reference.module}`);
    else
      parts.push(`${reference.module} ${reference.version}${reference.blas ? ` (${reference.blas})` : ''}`);
  }
  return `machine: ${parts.join(', ')}`;
}
