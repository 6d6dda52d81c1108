#!/usr/bin/env node
// `node apps/api/dist/server.js`: parse the environment, build the app, listen; close gracefully
// (in-flight requests finish, SSE streams end, queues and connections close) on SIGTERM/SIGINT.
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './env.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await buildApp(config);
  let closing = false;
  const close = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'closing');
    // A second signal, or a close that hangs, ends the process anyway.
    const deadline = setTimeout(() => process.exit(1), 10_000);
    deadline.unref();
    try {
      await app.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'close failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', (signal) => void close(signal));
  process.once('SIGINT', (signal) => void close(signal));
  await app.listen({ port: config.port, host: config.host });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`bilinear api: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`bilinear api: failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
