import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliInputError, inputAt } from './errors.js';

/**
 * Writes `data` to `path` so that readers see either the old file or the complete new one (see
 * openAtomicFile). On any failure the temporary file is removed and the target is left as it was.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array | Iterable<string>,
): Promise<void> {
  const file = await openAtomicFile(path);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await file.write(data);
    else for (const chunk of data) await file.write(chunk);
    await file.commit();
  } catch (error) {
    await file.abort();
    throw error;
  }
}

/** Where text goes piece by piece; `commit` completes it, `abort` leaves no trace of it. */
export interface TextSink {
  write(chunk: string | Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * A file written piece by piece that readers see either as it was or complete: the bytes go to a
 * temporary file in the same directory (same file system, so rename is atomic), are flushed to
 * disk on commit, then renamed over the target; abort removes the temporary file.
 */
export async function openAtomicFile(path: string): Promise<TextSink> {
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const handle: FileHandle = await open(temporary, 'wx', 0o644);
  let isOpen = true;
  const close = async () => {
    if (!isOpen) return;
    isOpen = false;
    await handle.close();
  };
  return {
    async write(chunk) {
      // writeFile continues from the current position and loops until every byte is written.
      await handle.writeFile(chunk);
    },
    async commit() {
      await handle.sync();
      await close();
      await rename(temporary, path);
    },
    async abort() {
      await close().catch(() => undefined);
      await rm(temporary, { force: true });
    },
  };
}

/** stdout as a sink: each piece waits while the pipe is full; commit ends the text with a newline. */
export function stdoutSink(): TextSink {
  return {
    async write(chunk) {
      if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    },
    async commit() {
      await this.write('\n');
    },
    async abort() {},
  };
}

/** Text for stdout, always ending in one newline. */
export function printLine(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A status line for people on stderr (where it never mixes with data on stdout). */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/**
 * Checks, before long work, that `path` can be written later: its directory exists, is a directory
 * and is writable, and `path` itself is not a directory. Throws CliInputError naming the path.
 */
export async function checkWritableTarget(path: string): Promise<void> {
  const directory = dirname(path);
  await inputAt(path, async () => {
    const info = await stat(directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new CliInputError(`${path}: directory ${directory} does not exist`);
      throw error;
    });
    if (!info.isDirectory()) throw new CliInputError(`${path}: ${directory} is not a directory`);
    await access(directory, constants.W_OK);
    const target = await stat(path).catch(() => null);
    if (target?.isDirectory()) throw new CliInputError(`${path}: is a directory, not a file`);
  });
}
