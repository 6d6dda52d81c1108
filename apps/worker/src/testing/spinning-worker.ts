// `node dist/testing/spinning-worker.js`: a worker process as main.ts starts it, whose decompose jobs
// run testing/spinning-processors/decompose.ts (a job that never yields) in sandboxed processes.
import { fileURLToPath } from 'node:url';
import { readEnv } from '../env.js';
import { startWorkers } from '../start-workers.js';

await startWorkers(readEnv(), {
  processorDir: fileURLToPath(new URL('./spinning-processors', import.meta.url)),
});
console.log('spinning worker started');
