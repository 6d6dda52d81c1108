import { type Command, Option } from 'commander';
import type { CliEnv } from '../env.js';
import { CliInputError } from '../errors.js';
import {
  backendOption,
  DATASET_HELP,
  decimalNumber,
  GATES,
  threadsOption,
  wholeNumber,
  wholeNumberUpTo,
} from '../options.js';
import { checkWritableTarget } from '../output.js';
import {
  DEFAULT_VOCAB,
  isLanguageModelDataset,
  LANGUAGE_MODEL_DATASET_HELP,
  LANGUAGE_MODEL_FLAGS,
} from '../training/language-model-dataset.js';
import type { TrainFlags } from '../training/run-train.js';

export function registerTrain(program: Command, env: CliEnv): void {
  program
    .command('train')
    .description(
      'train a bilinear model: an image or toy model (AdamW, linear warm-up per optimiser step, cosine schedule per epoch) written as safetensors in the PyTorch reference layout with <out>.config.json beside it, ' +
        'or a bilinear transformer language model (--dataset text:<file> or stories; AdamW betas (0.9, 0.95), linear warm-up then linear decay to 0) written as an HF model folder <out>/ (config.json, model.safetensors, tokenizer.json)',
    )
    .option('--dataset <spec>', `${DATASET_HELP}; language models: ${LANGUAGE_MODEL_DATASET_HELP}`)
    .option('--hidden <d>', 'width d of the bilinear blocks (toy: 6)', wholeNumber(1), 256)
    .option('--layers <n>', 'bilinear blocks', wholeNumber(1), 1)
    .option('--residual', 'residual blocks, x + g(x)')
    .addOption(new Option('--gate <gate>', 'gate on the left branch').choices(GATES).default('none'))
    .option(
      '--epochs <n>',
      'epochs in all (with --resume: including those already done); language models: passes over the corpus cut into --ctx windows, instead of --steps',
      wholeNumber(1),
      20,
    )
    .option(
      '--batch <n>',
      "batch size, the platform's measured default (MNIST: 95.0 % in 20 epochs; the reference code's 2048 makes 3 steps an epoch on the bundled 8,000 digits and reaches ≈ 89 %); language models: windows of --ctx tokens per step, no default",
      wholeNumber(1),
      256,
    )
    .option('--lr <rate>', 'peak learning rate', decimalNumber(0, true), 1e-3)
    .option(
      '--weight-decay <wd>',
      'AdamW decoupled weight decay, on every weight (language models: 0.1 unless given)',
      decimalNumber(0),
      0.5,
    )
    .option(
      '--warmup-steps <n>',
      'optimiser steps (batches, not epochs) of linear warm-up from 0 to the cosine rate; fewer than the run has (epochs × batches per epoch)',
      wholeNumber(0),
      0,
    )
    .option(
      '--input-noise <std>',
      'std of Gaussian noise on the training inputs (toy: 0)',
      decimalNumber(0),
      0.4,
    )
    .option('--latent-noise <std>', 'noise on block outputs, relative to their std', decimalNumber(0), 0)
    .option(
      '--seed <n>',
      'seed of the initial weights, shuffling and noise',
      wholeNumberUpTo(0, 0xffffffff),
      42,
    )
    .addOption(threadsOption())
    .addOption(backendOption(env))
    .option(
      '--checkpoint <file>',
      'write a checkpoint here on Ctrl-C, at the end, and every --checkpoint-every epochs',
    )
    .option(
      '--checkpoint-every <n>',
      'epochs (language models: steps) between checkpoints (needs --checkpoint)',
      wholeNumber(1),
    )
    .option('--resume <checkpoint>', "continue a run from its checkpoint, with the run's own settings")
    .option('--tokenizer <file>', 'language models: the HF tokenizer.json to encode the corpus with')
    .option(
      '--vocab <n>',
      `language models: train a WordPiece tokenizer of n tokens on the corpus first (the reference recipe; default ${DEFAULT_VOCAB} without --tokenizer)`,
      wholeNumber(4),
    )
    .option('--d-model <d>', 'language models: width of the residual stream', wholeNumber(2))
    .option(
      '--heads <n>',
      'language models: attention heads (d_model / heads even, for rotary)',
      wholeNumber(1),
    )
    .option('--d-hidden <h>', 'language models: hidden width of each bilinear MLP', wholeNumber(1))
    .option('--ctx <n>', 'language models: context window in tokens (n_ctx)', wholeNumber(2))
    .option(
      '--steps <n>',
      'language models: optimiser steps of random windows (instead of --epochs)',
      wholeNumber(1),
    )
    .option(
      '--warmup <n>',
      'language models: optimiser steps of linear warm-up before the linear decay to 0 (default 50, fewer than the run has)',
      wholeNumber(0),
    )
    .option(
      '--eval-every <n>',
      'language models: also measure the held-out loss every n steps',
      wholeNumber(1),
    )
    .requiredOption(
      '--out <file>',
      'where to write the model: a .safetensors file (image and toy models), or a folder for a language model',
    )
    .option('--json', 'end with one JSON line of results on stdout')
    .action(async (flags: TrainFlags, command: Command) => {
      const given = new Set(Object.keys(flags).filter((key) => command.getOptionValueSource(key) === 'cli'));
      if (flags.dataset === undefined && flags.resume === undefined) {
        throw new CliInputError(
          `--dataset: missing: name the data to train on (${DATASET_HELP}; language models: ${LANGUAGE_MODEL_DATASET_HELP}), or continue a run with --resume <checkpoint>`,
        );
      }
      // The dataset (or the checkpoint resumed) decides which model this is.
      const languageModel =
        flags.dataset !== undefined
          ? isLanguageModelDataset(flags.dataset)
          : await (await import('../training/run-train-language-model.js')).isLanguageModelCheckpointFile(
              flags.resume as string,
            );
      if (languageModel) {
        const { runTrainLanguageModel } = await import('../training/run-train-language-model.js');
        await runTrainLanguageModel(flags, given, env);
        return;
      }
      for (const [key, flag] of Object.entries(LANGUAGE_MODEL_FLAGS)) {
        if (given.has(key)) {
          throw new CliInputError(
            `${flag}: is for language models (--dataset text:<file> or stories), not for --dataset ${flags.dataset ?? 'of the checkpoint'}`,
          );
        }
      }
      if (flags.checkpointEvery !== undefined && flags.checkpoint === undefined) {
        throw new CliInputError('--checkpoint-every: needs --checkpoint <file> to write the checkpoints to');
      }
      if (flags.checkpoint !== undefined && flags.checkpoint === flags.out) {
        throw new CliInputError(
          `--checkpoint ${flags.checkpoint}: is also --out; give the checkpoint its own file`,
        );
      }
      await checkWritableTarget(flags.out);
      if (flags.checkpoint !== undefined) await checkWritableTarget(flags.checkpoint);
      // TensorFlow.js loads only for the commands that need it.
      const { runTrain } = await import('../training/run-train.js');
      await runTrain(flags, given, env);
    });
}
