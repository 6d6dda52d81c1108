// Prefixed, line-buffered logs: every line of every child reads `api     | …`, so interleaved output
// from five processes stays readable.
import { createInterface } from 'node:readline';
import { colourLogs as useColour } from './settings.mjs';

const COLOURS = { launcher: 1, postgres: 34, redis: 31, migrate: 33, api: 32, worker: 35, web: 36, seed: 33 };
const PREFIX_WIDTH = 8;

export function prefixFor(name) {
  const label = name.padEnd(PREFIX_WIDTH);
  const code = COLOURS[name.replace(/-\d+$/, '')] ?? 37;
  return useColour ? `\x1b[${code}m${label}|\x1b[0m ` : `${label}| `;
}

/** A logger that writes `name | message` lines (stderr for `error`). */
export function createLogger(name) {
  const prefix = prefixFor(name);
  const write = (stream, message) => {
    for (const line of String(message).split('\n')) stream.write(`${prefix}${line}\n`);
  };
  return {
    info: (message) => write(process.stdout, message),
    error: (message) => write(process.stderr, message),
  };
}

/**
 * Copies a child's stdout and stderr to ours, each line prefixed with the child's name; `keepLine`
 * (optional) drops the lines it returns false for; `onLine` (optional) sees every line.
 */
export function pipeChildOutput(name, child, keepLine = () => true, onLine = () => {}) {
  const prefix = prefixFor(name);
  for (const [source, target] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    if (!source) continue;
    createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      onLine(line);
      if (keepLine(line)) target.write(`${prefix}${line}\n`);
    });
  }
}

/**
 * Postgres's routine LOG lines (start-up, shutdown, checkpoints) say nothing the launcher does not;
 * warnings and errors, with their DETAIL/HINT lines, still come through.
 */
export function postgresLineFilter() {
  let keepingMessage = true;
  return (line) => {
    const level = line.match(
      /\b(DEBUG\d|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|CONTEXT|STATEMENT):\s/,
    )?.[1];
    if (level === undefined || ['DETAIL', 'HINT', 'CONTEXT', 'STATEMENT'].includes(level))
      return keepingMessage;
    keepingMessage = level !== 'LOG';
    return keepingMessage;
  };
}
