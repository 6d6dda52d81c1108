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
import type { TrainFlags } from '../training/run-train.js';

export function registerTrain(program: Command, env: CliEnv): void {
  program
    .command('train')
    .description(
      'train a bilinear model (AdamW, linear warm-up per optimiser step, cosine schedule per epoch) and write it as safetensors in the PyTorch reference layout, with <out>.config.json beside it',
    )
    .option('--dataset <spec>', DATASET_HELP)
    .option('--hidden <d>', 'width d of the bilinear blocks (toy: 6)', wholeNumber(1), 256)
    .option('--layers <n>', 'bilinear blocks', wholeNumber(1), 1)
    .option('--residual', 'residual blocks, x + g(x)')
    .addOption(new Option('--gate <gate>', 'gate on the left branch').choices(GATES).default('none'))
    .option('--epochs <n>', 'epochs in all (with --resume: including those already done)', wholeNumber(1), 20)
    .option('--batch <n>', 'batch size', wholeNumber(1), 2048)
    .option('--lr <rate>', 'peak learning rate', decimalNumber(0, true), 1e-3)
    .option('--weight-decay <wd>', 'AdamW decoupled weight decay', decimalNumber(0), 0.5)
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
    .option('--checkpoint-every <n>', 'epochs between checkpoints (needs --checkpoint)', wholeNumber(1))
    .option('--resume <checkpoint>', "continue a run from its checkpoint, with the run's own settings")
    .requiredOption('--out <file>', 'where to write the model (.safetensors)')
    .option('--json', 'end with one JSON line of results on stdout')
    .action(async (flags: TrainFlags, command: Command) => {
      const given = new Set(Object.keys(flags).filter((key) => command.getOptionValueSource(key) === 'cli'));
      if (flags.dataset === undefined && flags.resume === undefined) {
        throw new CliInputError(
          `--dataset: missing: name the data to train on (${DATASET_HELP}), or continue a run with --resume <checkpoint>`,
        );
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
      await runTrain(flags, given);
    });
}
