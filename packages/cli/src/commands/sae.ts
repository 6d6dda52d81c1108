import { saeQuality } from '@bilinear-lab/core';
import type { Command } from 'commander';
import { CliInputError, inputAt } from '../errors.js';
import { formatInteger } from '../format.js';
import { readSparseAutoencoder } from '../model-file.js';
import { wholeNumber } from '../options.js';
import { printLine } from '../output.js';
import { readLanguageModel, textSequences } from './lm.js';

interface EvalOptions {
  sae: string;
  tokens?: string;
  corpus?: string;
  tokenizer?: string;
  maxTokens: number;
  json?: boolean;
}

/** `bilinear sae …`: sparse autoencoders on a language model's MLP (evaluation; training comes next). */
export function registerSae(program: Command): void {
  const sae = program
    .command('sae')
    .description('TopK sparse autoencoders on a language model: evaluate them');
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
    .option('--max-tokens <n>', 'with --corpus: read at most this many tokens', wholeNumber(2), 20_000)
    .option('--json', 'print the measures as one line of JSON')
    .action(async (given: string, options: EvalOptions) => {
      const model = await readLanguageModel(given);
      const autoencoder = await readSparseAutoencoder(options.sae);
      if (autoencoder.layer === null || (autoencoder.point !== 'mlp-in' && autoencoder.point !== 'mlp-out')) {
        throw new CliInputError(
          `${options.sae}: its config.json must say "layer" and "point" (mlp-in or mlp-out) for the SAE to be spliced in`,
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
