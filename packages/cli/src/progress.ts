import { Presets, SingleBar } from 'cli-progress';

// Progress is for people watching a terminal: nothing is drawn when stderr is a pipe or a file,
// so logs and test output stay clean.

export interface Progress {
  update(done: number, total: number, label: string): void;
  stop(): void;
}

/**
 * A cli-progress bar on stderr for `total` steps. It appears only on a terminal, and only once the
 * steps so far predict more than `delayMs` in all, so quick runs print nothing extra.
 */
export function progressBar(
  title: string,
  stream: NodeJS.WriteStream = process.stderr,
  delayMs = 1000,
): Progress {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const started = performance.now();
  let bar: SingleBar | null = null;
  return {
    update(done, total, label) {
      if (bar === null) {
        const elapsed = performance.now() - started;
        const predicted = done > 0 ? (elapsed * total) / done : elapsed;
        if (predicted < delayMs || done >= total) return;
        bar = new SingleBar(
          {
            stream,
            format: `${title} {bar} {value}/{total} {label} | {duration_formatted}, ETA {eta_formatted}`,
            clearOnComplete: true,
            hideCursor: true,
            // The work runs synchronously between updates, so redraws happen inside update().
            fps: 20,
          },
          Presets.shades_classic,
        );
        bar.start(total, done, { label });
        return;
      }
      bar.update(done, { label });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

export interface StatusLine {
  set(text: string): void;
  clear(): void;
}

/** One line on stderr rewritten in place (`\r`), for steps too uneven for a bar; terminals only. */
export function statusLine(stream: NodeJS.WriteStream = process.stderr): StatusLine {
  if (!stream.isTTY) return { set: () => undefined, clear: () => undefined };
  return {
    set(text) {
      const width = Math.max((stream.columns || 80) - 1, 10);
      stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    },
    clear() {
      stream.write('\r\x1b[2K');
    },
  };
}
