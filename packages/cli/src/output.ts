import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliInputError, inputAt } from './errors.js';

/**
 * Writes `data` to `path` so that readers see either the old file or the complete new one: the
 * bytes go to a temporary file in the same directory (same file system, so rename is atomic),
 * are flushed to disk, then renamed over the target. On any failure the temporary file is removed
 * and the target is left as it was.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array | Iterable<string>,
): Promise<void> {
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, 'wx', 0o644);
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
    else for (const chunk of data) await handle.write(chunk);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Text for stdout, always ending in one newline. */
export function printLine(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * Text for stdout in pieces (a document too large for one string), waiting whenever the pipe is
 * full so the pieces are not all buffered at once; a newline ends it.
 */
export async function printChunks(chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) {
    if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
  process.stdout.write('\n');
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
