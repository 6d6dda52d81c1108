import {
  DecompositionInputError,
  EigenInputError,
  LanguageModelForwardError,
  ModelConfigError,
  ModelLayoutError,
  NpyError,
  SafetensorsError,
} from '@bilinear-lab/core';
import { CommanderError } from 'commander';

/**
 * Exit statuses: 0 success, 1 a bug (ours), 2 the input or the invocation is wrong, 130 stopped by
 * Ctrl-C (SIGINT; 128 + 2, what shells report for a process killed by it).
 */
export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_INPUT = 2;
export const EXIT_INTERRUPTED = 130;

/** Something the user can fix: a missing file, a malformed model, a flag out of range. */
export class CliInputError extends Error {
  override readonly name = 'CliInputError';
}

/** The user stopped the command (Ctrl-C) and it wound down cleanly; the message says what was kept. */
export class CliInterruptedError extends Error {
  override readonly name = 'CliInterruptedError';
}

const CORE_INPUT_ERRORS = [
  SafetensorsError,
  ModelLayoutError,
  ModelConfigError,
  DecompositionInputError,
  EigenInputError,
  LanguageModelForwardError,
  NpyError,
];

/** Errors the core raises about its input, as opposed to its own failures. */
export function isCoreInputError(error: unknown): error is Error {
  return CORE_INPUT_ERRORS.some((type) => error instanceof type);
}

/**
 * Runs `work` and rethrows input errors as CliInputError prefixed with `where` (usually the file),
 * so every message says what is wrong and where. Other errors pass through untouched.
 */
export async function inputAt<T>(where: string, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CliInputError) throw error;
    if (isCoreInputError(error)) throw new CliInputError(`${where}: ${error.message}`, { cause: error });
    const fsMessage = fileSystemMessage(error);
    if (fsMessage !== null) throw new CliInputError(`${where}: ${fsMessage}`, { cause: error });
    throw error;
  }
}

const FS_MESSAGES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ERR_FS_FILE_TOO_LARGE: 'file is larger than 2 GiB, more than Node can read into memory at once',
};

/** Words for the file-system errors a user can fix; null for anything else. */
export function fileSystemMessage(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? (FS_MESSAGES[code] ?? null) : null;
}

/**
 * Prints what went wrong on stderr and returns the exit status. Commander has already printed its
 * own usage errors (through the program's configureOutput) by the time they arrive here.
 */
export function reportError(error: unknown, debug: boolean, stderr: NodeJS.WritableStream): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_INPUT;
  if (error instanceof CliInterruptedError) {
    stderr.write(`bilinear: ${error.message}\n`);
    return EXIT_INTERRUPTED;
  }
  if (error instanceof CliInputError || isCoreInputError(error)) {
    stderr.write(`bilinear: ${error.message}\n`);
    return EXIT_INPUT;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (debug && error instanceof Error && error.stack)
    stderr.write(`bilinear: internal error\n${error.stack}\n`);
  else stderr.write(`bilinear: internal error: ${message} (run with BILINEAR_DEBUG=1 for the stack trace)\n`);
  return EXIT_INTERNAL;
}
