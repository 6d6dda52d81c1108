// What `bilinear decompose` asks of a language model beyond token ids: SAE features, an input SAE's
// feature basis, vectors from a .npy file, comparison tokens — checked against one another and the
// model, and the model's own MLP inputs for the exactness check when it can run its forward pass.
import { readFile } from 'node:fs/promises';
import {
  type DecomposeOptions,
  type LanguageModel,
  type LanguageModelDirections,
  matrix,
  parseNpy,
  type SparseAutoencoder,
  sampleMlpInputs,
} from '@bilinear-lab/core';
import { CliInputError, inputAt } from './errors.js';
import { readSparseAutoencoder } from './model-file.js';

export interface LanguageModelFlags {
  outputs?: number[];
  comparison?: number[];
  saeOut?: string;
  features?: number[];
  saeIn?: string;
  vector?: string;
  layer?: number;
  samples: number;
}

/** The settings the flags ask for, or a CliInputError naming the flag at fault. */
export async function languageModelSettings(
  model: LanguageModel,
  flags: LanguageModelFlags,
): Promise<
  Pick<DecomposeOptions, 'directions' | 'inputFeatures' | 'layer' | 'sampleInputs' | 'exactnessSamples'>
> {
  if (flags.comparison && !flags.outputs)
    throw new CliInputError('--comparison goes with --outputs (token ids)');
  if (flags.features && !flags.saeOut) throw new CliInputError('--features goes with --sae-out <SAE folder>');
  if (flags.saeOut && !flags.features)
    throw new CliInputError('--sae-out needs --features <ids> (e.g. --features 0,77)');
  const chosen = [
    flags.outputs ? '--outputs' : null,
    flags.saeOut ? '--sae-out' : null,
    flags.vector ? '--vector' : null,
  ].filter((flag) => flag !== null);
  if (chosen.length !== 1) {
    throw new CliInputError(
      chosen.length === 0
        ? 'a language model is decomposed along directions: give --outputs <token ids>, --sae-out <SAE folder> --features <ids>, or --vector <file.npy>'
        : `${chosen.join(' and ')} each choose the directions: give one of them`,
    );
  }

  const saeOut = flags.saeOut ? await readSparseAutoencoder(flags.saeOut) : null;
  const saeIn = flags.saeIn ? await readSparseAutoencoder(flags.saeIn) : null;
  const layer = agreedLayer(flags.layer, [
    ['--sae-out', flags.saeOut, saeOut],
    ['--sae-in', flags.saeIn, saeIn],
  ]);
  checkPoint('--sae-out', flags.saeOut, saeOut, 'mlp-out');
  checkPoint('--sae-in', flags.saeIn, saeIn, 'mlp-in');

  let directions: LanguageModelDirections;
  if (saeOut && flags.features) {
    directions = { kind: 'sae-features', sae: saeOut, features: flags.features };
  } else if (flags.vector) {
    const path = flags.vector;
    const array = await inputAt(path, async () => parseNpy(new Uint8Array(await readFile(path))));
    const d = model.modelDim;
    const rows = array.shape.length === 1 ? 1 : (array.shape[0] ?? 0);
    if (array.shape.length > 2 || array.shape.at(-1) !== d) {
      throw new CliInputError(
        `${path}: shape (${array.shape.join(', ')}) is not (${d},) or (m, ${d}): vectors in the residual stream of d = ${d}`,
      );
    }
    directions = { kind: 'vectors', vectors: matrix(rows, d, array.data) };
  } else {
    directions = {
      kind: 'tokens',
      tokens: flags.outputs ?? [],
      ...(flags.comparison ? { comparison: flags.comparison } : {}),
    };
  }
  // The exactness check on the MLP inputs the model really produces, when it can run (attention and config).
  const canRun = model.config?.heads != null && model.layers.every((l) => l.attention !== null);
  const sampleInputs =
    canRun && flags.samples > 0 && layer < model.layers.length
      ? sampleMlpInputs(model, layer, flags.samples, { seed: 0 })
      : undefined;
  return {
    directions,
    layer,
    ...(saeIn ? { inputFeatures: saeIn } : {}),
    ...(sampleInputs ? { sampleInputs } : {}),
  };
}

export function agreedLayer(
  flag: number | undefined,
  saes: [string, string | undefined, SparseAutoencoder | null][],
): number {
  let layer = flag;
  for (const [name, path, sae] of saes) {
    if (!sae || sae.layer === null) continue;
    if (layer === undefined) layer = sae.layer;
    else if (layer !== sae.layer) {
      throw new CliInputError(
        `${path}: the SAE was trained on layer ${sae.layer}, but ${flag !== undefined ? `--layer ${flag}` : `the other SAE's layer ${layer}`} was asked for (${name})`,
      );
    }
  }
  return layer ?? 0;
}

export function checkPoint(
  name: string,
  path: string | undefined,
  sae: SparseAutoencoder | null,
  wanted: string,
): void {
  if (sae && sae.point !== null && sae.point !== wanted) {
    throw new CliInputError(
      `${path}: ${name} takes an SAE on the ${wanted} hook point; this one reads ${sae.point} (its config.json)`,
    );
  }
}
