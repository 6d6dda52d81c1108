import { readFile } from 'node:fs/promises';
import { parseSafetensors, type SafetensorsFile } from '@bilinear-lab/core';
import { inputAt } from './errors.js';

/**
 * Reads and parses a safetensors file. Every problem (missing, unreadable, truncated, malformed)
 * surfaces as a CliInputError that starts with the path.
 */
export function readSafetensorsFile(path: string): Promise<SafetensorsFile> {
  return inputAt(path, async () => parseSafetensors(await readFile(path)));
}
