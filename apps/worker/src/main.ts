// `node apps/worker/dist/main.js`: runs the BILINEAR_WORKER_QUEUES workers until SIGTERM/SIGINT.
// The first signal stops taking jobs and lets the running ones finish; a second abandons them
// (another worker recovers them as stalled).
import { EnvError, readEnv } from './env.js';
import { createLogger, describeError } from './log.js';
import { startWorkers } from './start-workers.js';

async function main(): Promise<void> {
  const env = readEnv();
  const log = createLogger(env.logLevel);
  const running = await startWorkers(env);
  const { identity } = running;
  log.info(
    `worker ${identity.id} started: queues ${identity.queues.join(',')}, backend ${identity.backend} on ${identity.device}, concurrency ${identity.concurrency}`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: abandoning running jobs`);
      running.abandon().finally(() => process.exit(1));
      return;
    }
    stopping = true;
    log.info(`${signal}: no new jobs; waiting for running ones to finish`);
    running
      .close()
      .then(() => {
        log.info(`worker ${identity.id} stopped`);
        process.exit(0);
      })
      .catch((error: unknown) => {
        log.error(`stopping failed: ${describeError(error)}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`worker: ${error instanceof EnvError ? error.message : describeError(error)}\n`);
  process.exit(error instanceof EnvError ? 2 : 1);
});
