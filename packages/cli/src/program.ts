import { createRequire } from 'node:module';
import { preferOptimizedWasm } from '@bilinear-lab/threads';
import { Command } from 'commander';
import { registerBenchEig } from './commands/bench-eig.js';
import { registerBenchLmDecompose } from './commands/bench-lm-decompose.js';
import { registerBenchTrain } from './commands/bench-train.js';
import { registerDecompose } from './commands/decompose.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerInspect } from './commands/inspect.js';
import { registerLanguageModel } from './commands/lm.js';
import { registerSae } from './commands/sae.js';
import { registerTokenize } from './commands/tokenize.js';
import { registerTokenizer } from './commands/tokenizer-train.js';
import { registerTrain } from './commands/train.js';
import { type CliEnv, readEnv } from './env.js';
import { EXIT_OK, reportError } from './errors.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The whole command tree. Settings made before .command() are inherited by every subcommand. */
export function buildProgram(env: CliEnv): Command {
  const program = new Command('bilinear')
    .description(
      'Weight-based interpretability for bilinear MLPs, y = P((Wx) ⊙ (Vx)): train and evaluate models, ' +
        'inspect model files, decompose every output into eigenvectors of its interaction matrix, ' +
        'benchmark the eigensolver and the trainer.',
    )
    .version(version, '-V, --version')
    // Usage errors throw instead of exiting, so main() maps them to exit status 2.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`bilinear: ${text.replace(/^error: /, '')}`) })
    .showHelpAfterError('(add --help for usage)');

  registerTrain(program, env);
  registerEvaluate(program, env);
  registerInspect(program);
  registerDecompose(program);
  registerLanguageModel(program);
  registerSae(program);
  registerTokenize(program);
  registerTokenizer(program);
  const bench = program.command('bench').description('benchmarks, each against a reference run side by side');
  registerBenchEig(bench, env);
  registerBenchLmDecompose(bench, env);
  registerBenchTrain(bench, env);
  return program;
}

/** Runs the command line on these arguments (process.argv); resolves to the exit status. */
export async function runProgram(argv: string[]): Promise<number> {
  const env = readEnv(process.env);
  preferOptimizedWasm();
  // `bilinear decompose m.safetensors --json | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_OK);
    throw error;
  });
  try {
    await buildProgram(env).parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    return reportError(error, env.debug, process.stderr);
  }
}
