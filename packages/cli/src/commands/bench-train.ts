import type { Command } from 'commander';
import type { CliEnv } from '../env.js';
import { backendOption, threadsOption, wholeNumber } from '../options.js';
import type { BenchTrainFlags } from '../training/run-bench-train.js';

export function registerBenchTrain(bench: Command, env: CliEnv): void {
  bench
    .command('train')
    .description(
      'time training steps of the default MNIST model; GFLOP/s against numpy float32 matmul, samples/s against PyTorch when it is installed',
    )
    .option('--hidden <d>', 'width d of the bilinear block', wholeNumber(1), 256)
    .option('--batch <n>', 'batch size (at most 8,000, the bundled training split)', wholeNumber(1), 2048)
    .option('--steps <n>', 'timed steps, after 3 warm-up steps', wholeNumber(1), 20)
    .addOption(threadsOption())
    .addOption(backendOption(env))
    .option('--python <exe>', 'the Python interpreter with numpy (the matmul roofline)', 'python3')
    .option('--torch-python <exe>', 'the Python interpreter to look for PyTorch in', '/usr/bin/python3')
    .option('--json', 'print one JSON line instead of the table')
    .action(async (flags: BenchTrainFlags) => {
      // TensorFlow.js loads only for the commands that need it.
      const { runBenchTrain } = await import('../training/run-bench-train.js');
      await runBenchTrain(flags, env);
    });
}
