// Workers as real processes (`node apps/worker/dist/main.js`), for tests that signal or kill them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built entry point; tests that spawn workers need `npm run build -w @bilinear-lab/worker` first. */
export const WORKER_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** Everything the process printed so far (stdout and stderr, its job children's included). */
  output(): string;
  /** Resolves with the first output line matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The sandboxed job processes BullMQ forked (children of this process). */
  jobProcesses(): number[];
}

/** `args`: another entry point than main.js (a worker set up for a test). */
export function spawnWorker(env: Record<string, string>, args: string[] = [WORKER_MAIN]): WorkerProcess {
  if (!existsSync(WORKER_MAIN)) {
    throw new Error(
      `${WORKER_MAIN} is missing: build the worker first (npm run build -w @bilinear-lab/worker)`,
    );
  }
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of [...waiters]) {
      const line = output.split('\n').find((candidate) => waiter.pattern.test(candidate));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    pid: child.pid ?? -1,
    output: () => output,
    waitForOutput(pattern, timeoutMs = 30_000) {
      const line = output.split('\n').find((candidate) => pattern.test(candidate));
      if (line !== undefined) return Promise.resolve(line);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `worker ${child.pid} printed no line matching ${pattern} in ${timeoutMs} ms:\n${output}`,
            ),
          );
        }, timeoutMs);
        waiters.push({
          pattern,
          resolve: (found) => {
            clearTimeout(timer);
            resolve(found);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`worker ${child.pid} exited before printing ${pattern}:\n${output}`));
        });
      });
    },
    exited,
    jobProcesses: () => childPids(child.pid ?? -1),
  };
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number.parseInt(line.trim(), 10))
      .filter((value) => Number.isInteger(value));
  } catch {
    return []; // ps exits 1 when there are none
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills a process (and the job processes it forked) if it is still running. */
export async function stopProcess(worker: WorkerProcess): Promise<void> {
  const jobs = worker.jobProcesses();
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await worker.exited;
  for (const pid of jobs) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
