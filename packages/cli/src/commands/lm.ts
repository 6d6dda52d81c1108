import { readFile } from 'node:fs/promises';
import { importModel, type LanguageModel, languageModelLoss } from '@bilinear-lab/core';
import type { Command } from 'commander';
import { CliInputError, inputAt } from '../errors.js';
import { formatInteger } from '../format.js';
import { modelImportOptions, readSafetensorsFile, resolveModelFile } from '../model-file.js';
import { printLine } from '../output.js';

interface EvalOptions {
  tokens?: string;
  json?: boolean;
}

/** `bilinear lm …`: language-model commands (evaluation; generation and activations come next). */
export function registerLanguageModel(program: Command): void {
  const lm = program.command('lm').description('language models: evaluate a bilinear transformer');
  lm.command('eval')
    .description(
      'mean next-token cross-entropy (nats) over every position of every sequence, as the reference code scores a model',
    )
    .argument('<model>', 'an HF model folder (model.safetensors + config.json) or its model.safetensors')
    .requiredOption('--tokens <ids.json>', 'a JSON array of token-id arrays, one per sequence')
    .option('--json', 'print {"loss","tokens","perplexity"} as one line of JSON')
    .action(async (given: string, options: EvalOptions) => {
      const model = await readLanguageModel(given);
      const tokensPath = options.tokens as string;
      const sequences = await inputAt(tokensPath, async () =>
        tokenSequences(JSON.parse(await readFile(tokensPath, 'utf8')), model, tokensPath),
      );
      const result = await inputAt(given, () => languageModelLoss(model, sequences));
      if (options.json) {
        printLine(
          JSON.stringify({ loss: result.loss, tokens: result.tokens, perplexity: result.perplexity }),
        );
        return;
      }
      printLine(
        `loss ${result.loss.toFixed(6)} nats over ${formatInteger(result.tokens)} predicted tokens ` +
          `(${sequences.length} sequences), perplexity ${result.perplexity.toFixed(3)}`,
      );
    });
}

/** A language model from a folder or file, with the config that decides how it runs. */
export async function readLanguageModel(given: string): Promise<LanguageModel> {
  const path = await resolveModelFile(given);
  const file = await readSafetensorsFile(path);
  const options = await modelImportOptions(path, {});
  const model = await inputAt(path, () => importModel(file, options));
  if (model.layout !== 'language-model') {
    throw new CliInputError(`${given}: holds an ${model.layout}, not a language model`);
  }
  return model;
}

/** The parsed ids.json checked: arrays of whole token ids inside the vocabulary, each with a position to predict. */
function tokenSequences(json: unknown, model: LanguageModel, where: string): number[][] {
  if (!Array.isArray(json) || json.length === 0) {
    throw new CliInputError(
      `${where}: expected a non-empty JSON array of token-id arrays, e.g. [[1, 52, 7], [1, 9]]`,
    );
  }
  return json.map((sequence, s) => {
    if (!Array.isArray(sequence))
      throw new CliInputError(`${where}: sequence ${s} is not an array of token ids`);
    sequence.forEach((token, t) => {
      if (!Number.isInteger(token) || token < 0 || token >= model.vocabSize) {
        throw new CliInputError(
          `${where}: sequence ${s}, position ${t}: ${JSON.stringify(token)} is not a token id of this model (0..${model.vocabSize - 1})`,
        );
      }
    });
    return sequence as number[];
  });
}
