import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type ImportModelOptions,
  importSparseAutoencoder,
  parseSafetensors,
  type SafetensorsFile,
  type SparseAutoencoder,
} from '@bilinear-lab/core';
import { CliInputError, inputAt } from './errors.js';

/**
 * The weights a model path names: the file itself, or `model.safetensors` inside an HF model folder
 * (whose `config.json` findModelConfig then finds beside it).
 */
export async function resolveModelFile(path: string): Promise<string> {
  const info = await inputAt(path, () => stat(path));
  if (!info.isDirectory()) return path;
  const inside = join(path, 'model.safetensors');
  const found = await stat(inside).catch(() => null);
  if (!found?.isFile()) {
    throw new CliInputError(
      `${path}: a folder without model.safetensors (an HF model folder holds model.safetensors and config.json)`,
    );
  }
  return inside;
}

/** An SAE folder (model.safetensors + config.json) or file, read with its config. */
export async function readSparseAutoencoder(path: string): Promise<SparseAutoencoder> {
  const file = await resolveModelFile(path);
  const weights = await readSafetensorsFile(file);
  const configPath = await findModelConfig(file);
  const config = configPath === null ? undefined : await readConfigText(configPath);
  return inputAt(path, () =>
    importSparseAutoencoder(
      weights,
      config === undefined ? {} : { config, configName: configPath ?? undefined },
    ),
  );
}

/**
 * Reads and parses a safetensors file. Every problem (missing, unreadable, truncated, malformed)
 * surfaces as a CliInputError that starts with the path.
 */
export function readSafetensorsFile(path: string): Promise<SafetensorsFile> {
  return inputAt(path, async () => parseSafetensors(await readFile(path)));
}

/** A config file is a few hundred bytes; anything past this is not one. */
const CONFIG_LIMIT_BYTES = 1 << 20;

/**
 * The config file that goes with a model file: the one named (--config), else the first that exists
 * of `<file>.config.json` (what `bilinear train` writes), `<name>.config.json` for `<name>.safetensors`,
 * and an HF folder's `config.json` beside a `model.safetensors`. Null when there is none.
 */
export async function findModelConfig(path: string, named?: string): Promise<string | null> {
  if (named !== undefined) return named;
  const candidates = [`${path}.config.json`];
  if (path.endsWith('.safetensors')) candidates.push(`${path.slice(0, -'.safetensors'.length)}.config.json`);
  if (basename(path) === 'model.safetensors') candidates.push(join(dirname(path), 'config.json'));
  for (const candidate of candidates) {
    const found = await stat(candidate).catch(() => null);
    if (found?.isFile()) return candidate;
  }
  return null;
}

/**
 * The importModel options a model file's config file gives (its text and name), or none; `residual`
 * is the --residual flag, which only a file that records nothing may take.
 */
export async function modelImportOptions(
  path: string,
  flags: { config?: string; residual?: boolean },
): Promise<ImportModelOptions> {
  const configPath = await findModelConfig(path, flags.config);
  const options: ImportModelOptions = flags.residual ? { residual: true } : {};
  if (configPath === null) return options;
  return { ...options, config: await readConfigText(configPath), configName: configPath };
}

function readConfigText(configPath: string): Promise<string> {
  return inputAt(configPath, async () => {
    const info = await stat(configPath);
    if (info.size > CONFIG_LIMIT_BYTES) {
      throw new CliInputError(
        `${configPath}: ${info.size} bytes is too large for a model config (at most ${CONFIG_LIMIT_BYTES})`,
      );
    }
    return readFile(configPath, 'utf8');
  });
}
