/**
 * Passes a report on at most every `intervalMs` (the first and the final, fraction 1, always pass):
 * a training step can take a millisecond, and watchers only need a few updates a second.
 */
export function throttle<T extends unknown[]>(
  send: (...args: T) => void,
  intervalMs: number,
  isFinal: (...args: T) => boolean = () => false,
): (...args: T) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (...args: T) => {
    const now = performance.now();
    if (now - last < intervalMs && !isFinal(...args)) return;
    last = now;
    send(...args);
  };
}
