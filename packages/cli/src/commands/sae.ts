import { EVALUATION_MAX_TOKENS, SAE_TRAIN_DEFAULTS } from '@bilinear-lab/contracts/language-model-defaults';
import { HOOK_POINTS, saeQuality } from '@bilinear-lab/core';
import type { Command } from 'commander';
import { CliInputError, inputAt } from '../errors.js';
import { formatInteger } from '../format.js';
import { readSparseAutoencoder } from '../model-file.js';
import { decimalNumber, wholeNumber } from '../options.js';
import { printLine } from '../output.js';
import type { SaeTrainFlags } from '../training/run-train-sae.js';
import { readLanguageModel, textSequences } from './lm.js';

interface EvalOptions {
  sae: string;
  tokens?: string;
  corpus?: string;
  tokenizer?: string;
  maxTokens: number;
  json?: boolean;
}

/** `bilinear sae …`: sparse autoencoders on a language model's MLP: train one, evaluate one. */
export function registerSae(program: Command): void {
  const sae = program
    .command('sae')
    .description('TopK sparse autoencoders on a language model: train and evaluate them');
  sae
    .command('train')
    .description(
      "train a TopK SAE on a layer's hook point by the reference procedure (tdooms/bilinear-decomposition src/sae: " +
        'w_enc = w_decᵀ at the start, b_dec = 0, MSE loss, Adam with unit decoder columns, cosine to 2e-5), then measure it on held-out text',
    )
    .argument('<model>', 'an HF model folder (model.safetensors, config.json[, tokenizer.json])')
    .requiredOption('--layer <l>', "which layer's MLP", wholeNumber(0))
    .requiredOption(
      '--point <point>',
      'the hook point: mlp-in (the normalised MLP input), mlp-out (what the MLP adds), or the residual stream before the layer (resid-pre), after its attention (resid-mid) or after its MLP (resid-post)',
    )
    .option('--tokens <ids.json>', 'a JSON array of token-id arrays')
    .option(
      '--corpus <file>',
      'text (.txt, .jsonl, optionally .gz), tokenized and packed into windows of n_ctx',
    )
    .option('--tokenizer <tokenizer.json>', 'for --corpus (default: tokenizer.json in the model folder)')
    .option(
      '--max-tokens <n>',
      'with --corpus: read at most this many tokens',
      wholeNumber(2),
      SAE_TRAIN_DEFAULTS.maxTokens,
    )
    .option('--features <F>', 'dictionary size', wholeNumber(1))
    .option('--expansion <E>', 'dictionary size as a multiple of d_model (the reference: 4)', wholeNumber(1))
    .requiredOption('--k <k>', 'active features per position (the reference uses 30)', wholeNumber(1))
    .option('--steps <n>', 'optimiser steps (default: one pass over the training text)', wholeNumber(1))
    .option(
      '--tokens-total <n>',
      'activations to train on instead of --steps (steps = ⌈n / batch⌉)',
      wholeNumber(1),
    )
    .option(
      '--batch <n>',
      "activations per step, as the reference's out_batch",
      wholeNumber(1),
      SAE_TRAIN_DEFAULTS.batchSize,
    )
    .option(
      '--lr <x>',
      "peak learning rate, the reference's by default",
      decimalNumber(0, true),
      SAE_TRAIN_DEFAULTS.learningRate,
    )
    .option(
      '--seed <n>',
      'seed of the initial weights and the shuffle',
      wholeNumber(0),
      SAE_TRAIN_DEFAULTS.seed,
    )
    .option(
      '--buffer <n>',
      'activations held and shuffled at once; when the whole text fits it is read once (default: 262,144, at most 256 MiB of float32)',
      wholeNumber(1),
    )
    .option(
      '--eval-tokens <n>',
      'positions at the end of the text held out of training to measure the SAE on',
      wholeNumber(2),
      SAE_TRAIN_DEFAULTS.evalTokens,
    )
    .requiredOption('--out <folder>', 'where to write the SAE (model.safetensors + config.json)')
    .option(
      '--json',
      'print {"mse","explained_variance","loss_recovered","steps","features","k","seconds",…} as the last line',
    )
    .action(async (given: string, options: SaeTrainFlags) => {
      // Loaded on use: the training package brings TensorFlow.js, which no other command of this
      // file needs.
      const { runTrainSae } = await import('../training/run-train-sae.js');
      await runTrainSae(given, options);
    });
  sae
    .command('eval')
    .description(
      "an SAE's reconstruction error at its hook point and the loss recovered when its reconstruction is spliced into the model",
    )
    .argument('<model>', 'an HF model folder (model.safetensors, config.json[, tokenizer.json])')
    .requiredOption(
      '--sae <folder>',
      'the SAE (model.safetensors + config.json saying its layer and hook point)',
    )
    .option('--tokens <ids.json>', 'a JSON array of token-id arrays')
    .option(
      '--corpus <file>',
      'text (.txt, .jsonl, optionally .gz), tokenized and packed into windows of n_ctx',
    )
    .option('--tokenizer <tokenizer.json>', 'for --corpus (default: tokenizer.json in the model folder)')
    .option(
      '--max-tokens <n>',
      'with --corpus: read at most this many tokens',
      wholeNumber(2),
      EVALUATION_MAX_TOKENS,
    )
    .option('--json', 'print the measures as one line of JSON')
    .action(async (given: string, options: EvalOptions) => {
      const model = await readLanguageModel(given);
      const autoencoder = await readSparseAutoencoder(options.sae);
      if (autoencoder.layer === null || autoencoder.point === null) {
        throw new CliInputError(
          `${options.sae}: its config.json must say "layer" and "point" (${HOOK_POINTS.join(', ')}) for the SAE to be spliced in`,
        );
      }
      const sequences = await textSequences(given, model, options, 'measure on');
      const hook = { layer: autoencoder.layer, point: autoencoder.point };
      const quality = await inputAt(options.sae, () => saeQuality(model, autoencoder, sequences, hook));
      if (options.json) {
        printLine(
          JSON.stringify({
            layer: quality.layer,
            point: quality.point,
            positions: quality.positions,
            mse: quality.mse,
            explained_variance: quality.explainedVariance,
            mean_active: quality.meanActive,
            loss_clean: quality.lossClean,
            loss_spliced: quality.lossSpliced,
            loss_zero_ablated: quality.lossZeroAblated,
            loss_recovered: quality.lossRecovered,
          }),
        );
        return;
      }
      printLine(
        [
          `SAE at layer ${quality.layer} ${quality.point}, ${autoencoder.features} features (k = ${autoencoder.k ?? 'all'}), on ${formatInteger(quality.positions)} positions`,
          `reconstruction  MSE ${quality.mse.toPrecision(4)}, explained variance ${quality.explainedVariance.toFixed(4)}, ${quality.meanActive.toFixed(1)} features active on average`,
          `loss            ${quality.lossClean.toFixed(4)} clean, ${quality.lossSpliced.toFixed(4)} with the reconstruction spliced in, ${quality.lossZeroAblated.toFixed(4)} with zeros`,
          `loss recovered  ${quality.lossRecovered.toFixed(4)} (1: as the model itself, 0: as zeros)`,
        ].join('\n'),
      );
    });
}
