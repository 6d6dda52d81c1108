// One line per event on stderr/stdout, prefixed so a worker's lines stand out in a shared terminal.
import type { LogLevel } from './env.js';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

export function createLogger(level: LogLevel, name = 'worker'): Logger {
  const write = (at: Exclude<LogLevel, 'silent'>, message: string) => {
    if (RANK[at] < RANK[level]) return;
    const line = `${new Date().toISOString()} ${name} ${at}: ${message}\n`;
    (at === 'error' || at === 'warn' ? process.stderr : process.stdout).write(line);
  };
  return {
    debug: (message) => write('debug', message),
    info: (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
  };
}

/** An error's message for logs and Job.error: the message, not the stack, and never empty. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
