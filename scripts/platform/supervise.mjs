// Keeps an app running: when it exits on its own it is started again after a pause that doubles with
// each recent crash (1 s, 2 s, 4 s …), and after `maxCrashes` crashes within `windowMs` the
// supervisor gives up and says why (the app's last lines). A crash-looping app is a bug or a
// misconfiguration that restarting will not fix; one crash an hour is a worker killed by the OOM
// killer, which a restart does fix.
import { sleep } from './processes.mjs';

export const RESTART_POLICY = { maxCrashes: 5, windowMs: 60_000, firstDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * Starts the app with `start()` (which returns a processes.mjs handle) and restarts it as above;
 * `onGiveUp({ how, crashes, lastLines })` is called once when it stops trying. The result has the
 * handle's stop(signal, graceMs) and `running` (true until stopped or given up).
 */
export function supervise(name, start, { log, onGiveUp, policy = RESTART_POLICY }) {
  let current = start();
  let stopped = false;
  let gaveUp = false;
  let crashes = [];
  let wakeUp = () => {};

  const watch = async () => {
    for (;;) {
      const handle = current;
      const { code, signal } = await handle.exited;
      if (stopped) return;
      const now = Date.now();
      crashes = [...crashes.filter((at) => now - at < policy.windowMs), now];
      const how = signal ?? `exit code ${code}`;
      if (crashes.length >= policy.maxCrashes) {
        gaveUp = true;
        onGiveUp({ how, crashes: crashes.length, lastLines: handle.recentLines() });
        return;
      }
      const delayMs = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (crashes.length - 1));
      log.error(
        `${name} exited (${how}); restarting it in ${delayMs / 1000} s (crash ${crashes.length} of ${policy.maxCrashes} allowed within ${policy.windowMs / 1000} s)`,
      );
      await new Promise((resolve) => {
        wakeUp = resolve;
        sleep(delayMs).then(resolve);
      });
      if (stopped) return;
      current = start();
      log.info(`${name} restarted (pid ${current.child.pid})`);
    }
  };
  void watch();

  return {
    name,
    get running() {
      return !stopped && !gaveUp;
    },
    /** Stops it for good: no restart after this, including one that was waiting for its pause. */
    async stop(signal, graceMs) {
      stopped = true;
      wakeUp();
      return current.stop(signal, graceMs);
    },
  };
}
