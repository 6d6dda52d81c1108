/** Runs `work` once per key at a time; concurrent callers share its promise. */
export function once<T>(pending: Map<string, Promise<T>>, key: string, work: () => Promise<T>): Promise<T> {
  let running = pending.get(key);
  if (running === undefined) {
    running = work().finally(() => pending.delete(key));
    pending.set(key, running);
  }
  return running;
}
