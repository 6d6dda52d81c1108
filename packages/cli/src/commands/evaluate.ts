import type { Command } from 'commander';
import type { CliEnv } from '../env.js';
import { backendOption, DATASET_HELP } from '../options.js';
import type { EvaluateFlags } from '../training/run-evaluate.js';

export function registerEvaluate(program: Command, env: CliEnv): void {
  program
    .command('evaluate')
    .description("accuracy and loss of a model on a dataset's test split")
    .argument('<file>', 'a .safetensors model in the reference layout (from `bilinear train`, or PyTorch)')
    .option('--dataset <spec>', `${DATASET_HELP} (default: the one the model was trained on, if it says)`)
    .addOption(backendOption(env))
    .option('--json', 'print one JSON line instead of text')
    .action(async (path: string, flags: EvaluateFlags) => {
      // TensorFlow.js loads only for the commands that need it.
      const { runEvaluate } = await import('../training/run-evaluate.js');
      await runEvaluate(path, flags, env);
    });
}
