// A decompose processor whose job never yields to the event loop: a stand-in for minutes of
// synchronous linear algebra, for the test that SIGKILLs its worker (processors/exit-with-parent.ts).
// It loads the real child side first, as every processor does.
import '../../processors/child-context.js';

/** Long enough to outlive any test that forgets it, short enough not to spin for ever. */
const SPIN_MS = 120_000;

export default function spin(): number {
  const end = Date.now() + SPIN_MS;
  let sum = 0;
  while (Date.now() < end) sum += Math.sqrt(sum + 1);
  return sum;
}
