#!/usr/bin/env node
// The launcher's dead man's switch. The launcher starts every child in its own process group (so a
// Ctrl-C reaches only the launcher), which also means nothing stops them when the launcher itself
// dies without a chance to clean up (kill -9, the OOM killer). This small process, forked by the
// launcher with an IPC channel and its event loop otherwise idle, hears of every child started and
// ended; when the channel closes with children still listed, it stops their groups: the stop signal
// first, SIGKILL after a grace period. On a clean shutdown the list is empty and it just exits.
const GRACE_MS = 10_000;

/** pid (= process group id) → the signal that stops it gracefully (Postgres: SIGINT). */
const children = new Map();

process.on('message', (message) => {
  if (message?.started) children.set(message.started.pid, message.started.stopSignal);
  else if (message?.exited) children.delete(message.exited);
});

// The launcher's signals are the launcher's business; this process ends when the launcher does.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});

process.once('disconnect', async () => {
  const orphans = [...children.entries()].filter(([pid]) => groupExists(pid));
  if (orphans.length === 0) process.exit(0);
  process.stderr.write(
    `reaper: the launcher is gone; stopping what it started (pids ${orphans.map(([pid]) => pid).join(', ')})\n`,
  );
  for (const [pid, signal] of orphans) signalGroup(pid, signal);
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline && orphans.some(([pid]) => groupExists(pid))) await sleep(100);
  for (const [pid] of orphans) signalGroup(pid, 'SIGKILL');
  process.exit(0);
});

function groupExists(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {}
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
