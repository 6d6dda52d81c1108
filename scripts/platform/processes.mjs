// Child processes the launcher owns. Each runs in its own process group (detached), so a Ctrl-C in
// the terminal reaches only the launcher, which then stops them in order: apps first, then Redis,
// then Postgres. By default stopping signals the whole group, so grandchildren (npm → next) stop too.
// Whatever a process leaves behind in its group dies with it, and a reaper process (reaper.mjs)
// stops every group still running should the launcher die without stopping them itself.
import { fork, spawn } from 'node:child_process';
import { createLogger, pipeChildOutput } from './logs.mjs';

const started = [];
/** Lines of output kept per process, for the message when it keeps crashing. */
const RECENT_LINES = 20;
const REAPER = new URL('./reaper.mjs', import.meta.url);
let reaper = null;

/** Tells the reaper (started on first use) about a child started or ended. */
function tellReaper(message) {
  if (!reaper) {
    reaper = fork(REAPER, [], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    reaper.on('error', () => {}); // without a reaper the launcher still works; it only loses its switch
    // Neither the reaper nor its channel may keep the launcher's event loop alive.
    reaper.unref();
    reaper.channel?.unref();
  }
  if (reaper.connected) reaper.send(message, () => {});
}

/** Every process started and still running, newest first: what a shutdown must not leave behind. */
export function runningProcesses() {
  return started.filter((handle) => handle.running).reverse();
}

/**
 * Starts `command args` with prefixed logs. Returns a handle whose `exited` promise resolves with
 * {code, signal} when the process ends (it never rejects: a failed spawn resolves with code 127).
 */
export function startProcess(name, command, args, options = {}) {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
  });
  // quiet: keep the output, and show it only if the command fails (runToCompletion).
  let captured = '';
  const recent = [];
  if (options.quiet) {
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => (captured += chunk));
  } else {
    pipeChildOutput(name, child, options.keepLine, (line) => {
      recent.push(line);
      if (recent.length > RECENT_LINES) recent.shift();
    });
  }
  const stopSignal = options.stopSignal ?? 'SIGTERM';
  if (child.pid !== undefined) tellReaper({ started: { pid: child.pid, stopSignal } });
  // signalGroup: false for processes that coordinate their own children on a signal (the
  // postmaster and its backends, a worker and its sandboxed job processes); a SIGKILL still goes
  // to the whole group so that nothing is left behind.
  const send = (signal) =>
    options.signalGroup === false && signal !== 'SIGKILL'
      ? signalProcess(child.pid, signal)
      : signalGroup(child.pid, signal);
  let running = true;
  const exited = new Promise((resolve) => {
    child.once('error', (error) => {
      running = false;
      process.stderr.write(`${name}: could not start ${command}: ${error.message}\n`);
      resolve({ code: 127, signal: null });
    });
    child.once('exit', (code, signal) => {
      running = false;
      // What it started and left in its group (a job process, a next server under npm) goes too.
      // The group only: the pid itself is free for reuse now.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      tellReaper({ exited: child.pid });
      resolve({ code, signal });
    });
  });

  const handle = {
    name,
    child,
    exited,
    output: () => captured,
    /** Its last lines of output (up to RECENT_LINES), for a message about why it ended. */
    recentLines: () => [...recent],
    get running() {
      return running;
    },
    /** Sends `signal` to the process group, escalates to SIGKILL after `graceMs`, resolves on exit. */
    async stop(signal = stopSignal, graceMs = 15_000) {
      if (!running) return exited;
      send(signal);
      const timer = setTimeout(() => {
        if (running) {
          process.stderr.write(`${name}: still running ${graceMs / 1000} s after ${signal}; killing it\n`);
          send('SIGKILL');
        }
      }, graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  started.push(handle);
  return handle;
}

function signalProcess(pid, signal) {
  try {
    if (pid !== undefined) process.kill(pid, signal);
  } catch {}
}

function signalGroup(pid, signal) {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already (or never formed): try the process itself.
    signalProcess(pid, signal);
  }
}

/** Runs a command to completion with prefixed logs; rejects with `what` when it fails. */
export async function runToCompletion(name, command, args, options = {}) {
  const handle = startProcess(name, command, args, options);
  const { code, signal } = await handle.exited;
  if (code !== 0) {
    if (options.quiet) createLogger(name).error(handle.output().trimEnd());
    throw new Error(
      `${options.what ?? `${command} ${args.join(' ')}`} failed (${signal ?? `exit code ${code}`})`,
    );
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
