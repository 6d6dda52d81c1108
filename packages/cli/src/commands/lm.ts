import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EVALUATION_MAX_TOKENS, GENERATE_DEFAULTS } from '@bilinear-lab/contracts/language-model-defaults';
import {
  decomposeModel,
  directionActivations,
  eigenvectorActivations,
  importModel,
  type LanguageModel,
  languageModelLoss,
  mlpPositions,
  saeEncoderRow,
  saeFeatureActivations,
  sampleTokens,
  topContexts,
} from '@bilinear-lab/core';
import { readCorpusDocuments, type Tokenizer, tokenWindows, windowContext } from '@bilinear-lab/text';
import type { Command } from 'commander';
import { CliInputError, inputAt } from '../errors.js';
import { formatInteger } from '../format.js';
import { agreedLayer, checkPoint } from '../language-model-settings.js';
import {
  modelImportOptions,
  readSafetensorsFile,
  readSparseAutoencoder,
  resolveModelFile,
} from '../model-file.js';
import { decimalNumber, wholeNumber } from '../options.js';
import { printLine } from '../output.js';
import { readTokenizer, tokenizerInput } from '../tokenizer-input.js';

interface EvalOptions {
  tokens?: string;
  corpus?: string;
  tokenizer?: string;
  maxTokens: number;
  json?: boolean;
}

interface GenerateOptions {
  prompt: string;
  tokens: number;
  temperature: number;
  topK?: number;
  seed: number;
  tokenizer?: string;
  json?: boolean;
}

interface ActivationsOptions {
  layer: number;
  output?: number;
  saeOut?: string;
  feature?: number;
  eigenvector?: number;
  corpus: string;
  tokenizer?: string;
  top: number;
  maxTokens: number;
  json?: boolean;
}

/** Positions read from a corpus by default (the platform's too). */
const DEFAULT_MAX_TOKENS = EVALUATION_MAX_TOKENS;

/** `bilinear lm …`: language-model commands (evaluation; generation and activations come next). */
export function registerLanguageModel(program: Command): void {
  const lm = program
    .command('lm')
    .description('language models: evaluate, sample from and read the activations of a bilinear transformer');
  lm.command('eval')
    .description(
      'mean next-token cross-entropy (nats) over every position of every sequence, as the reference code scores a model',
    )
    .argument('<model>', 'an HF model folder (model.safetensors + config.json) or its model.safetensors')
    .option('--tokens <ids.json>', 'a JSON array of token-id arrays, one per sequence')
    .option(
      '--corpus <file>',
      'text (.txt, .jsonl, optionally .gz), tokenized and packed into windows of n_ctx',
    )
    .option('--tokenizer <tokenizer.json>', 'for --corpus (default: tokenizer.json in the model folder)')
    .option(
      '--max-tokens <n>',
      'with --corpus: read at most this many tokens',
      wholeNumber(2),
      DEFAULT_MAX_TOKENS,
    )
    .option('--json', 'print {"loss","tokens","perplexity"} as one line of JSON')
    .action(async (given: string, options: EvalOptions) => {
      const model = await readLanguageModel(given);
      const sequences = await textSequences(given, model, options, 'score');
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

  lm.command('generate')
    .description("continue a prompt with the model's own tokens (a sanity view of what it learned)")
    .argument('<model>', 'an HF model folder (model.safetensors, config.json, tokenizer.json)')
    .requiredOption('--prompt <text>', 'the text to continue')
    .option('--tokens <n>', 'tokens to add', wholeNumber(1), GENERATE_DEFAULTS.tokens)
    .option(
      '--temperature <t>',
      'softmax temperature; 0 takes the most likely token',
      decimalNumber(0),
      GENERATE_DEFAULTS.temperature,
    )
    .option('--top-k <k>', 'draw among the k most likely tokens only', wholeNumber(1))
    .option('--seed <n>', 'seed of the draws', wholeNumber(0), GENERATE_DEFAULTS.seed)
    .option('--tokenizer <tokenizer.json>', 'default: tokenizer.json in the model folder')
    .option('--json', 'print {"prompt","ids","text"} as one line of JSON')
    .action(async (given: string, options: GenerateOptions) => {
      const model = await readLanguageModel(given);
      const tokenizer = await modelTokenizer(given, options.tokenizer, model);
      const prompt = Array.from((await tokenizer.encode(options.prompt)).ids);
      const added = await inputAt(given, () =>
        sampleTokens(model, prompt, {
          count: options.tokens,
          temperature: options.temperature,
          seed: options.seed,
          ...(options.topK !== undefined ? { topK: options.topK } : {}),
          ...(tokenizer.special.eos !== null ? { stopToken: tokenizer.special.eos } : {}),
        }),
      );
      const text = await tokenizer.decode([...prompt, ...added]);
      printLine(options.json ? JSON.stringify({ prompt: options.prompt, ids: added, text }) : text);
    });

  lm.command('activations')
    .description(
      "the corpus positions that activate a direction most: a token's output u·MLP(x), an mlp-out SAE feature's code, or one eigenvector's λ(vᵀx)²",
    )
    .argument('<model>', 'an HF model folder (model.safetensors, config.json, tokenizer.json)')
    .requiredOption('--layer <l>', "which layer's MLP", wholeNumber(0))
    .option('--output <token id>', "the direction u = W_U[token]: the MLP's output along it", wholeNumber(0))
    .option('--sae-out <folder>', "an SAE on the layer's MLP output, with --feature")
    .option(
      '--feature <id>',
      "with --sae-out: the feature whose code (or Q(w_enc[f])'s eigenvector) is read",
      wholeNumber(0),
    )
    .option(
      '--eigenvector <rank>',
      "read one eigenvector of the direction's Q instead: its rank in the spectrum, most positive first (0 = largest λ)",
      wholeNumber(0),
    )
    .requiredOption('--corpus <file>', 'text (.txt, .jsonl, optionally .gz)')
    .option('--tokenizer <tokenizer.json>', 'default: tokenizer.json in the model folder')
    .option('--top <n>', 'contexts listed', wholeNumber(1), 20)
    .option(
      '--max-tokens <n>',
      'read at most this many tokens of the corpus',
      wholeNumber(2),
      DEFAULT_MAX_TOKENS,
    )
    .option('--json', 'print the contexts as one line of JSON')
    .action(async (given: string, options: ActivationsOptions) => {
      if ((options.output === undefined) === (options.saeOut === undefined)) {
        throw new CliInputError(
          'choose what to read: --output <token id> or --sae-out <SAE folder> --feature <id>',
        );
      }
      if (options.saeOut !== undefined && options.feature === undefined) {
        throw new CliInputError('--sae-out needs --feature <id>');
      }
      const model = await readLanguageModel(given);
      const tokenizer = await modelTokenizer(given, options.tokenizer, model);
      const sae = options.saeOut === undefined ? null : await readSparseAutoencoder(options.saeOut);
      agreedLayer(options.layer, [['--sae-out', options.saeOut, sae]]);
      checkPoint('--sae-out', options.saeOut, sae, 'mlp-out');
      const sequences = await corpusWindows(options.corpus, tokenizer, contextOf(model), options.maxTokens);
      const positions = await inputAt(given, () => mlpPositions(model, options.layer, sequences));
      const d = model.modelDim;
      const direction =
        sae === null
          ? model.unembedding.data.slice((options.output as number) * d, ((options.output as number) + 1) * d)
          : saeEncoderRow(sae, options.feature as number);
      let what: string;
      let values: Float64Array;
      if (options.eigenvector !== undefined) {
        const rank = options.eigenvector;
        const decomposition = await inputAt(given, () =>
          decomposeModel(model, {
            layer: options.layer,
            directions: { kind: 'vectors', vectors: { rows: 1, cols: d, data: direction } },
            topK: d,
            exactnessSamples: 0,
          }),
        );
        const output = decomposition.outputs[0];
        const pair = [...(output?.topPositive ?? []), ...(output?.topNegative ?? [])].find(
          (p) => p.rank === rank,
        );
        if (!pair)
          throw new CliInputError(
            `--eigenvector ${rank}: the spectrum has ranks 0..${d - 1}, and ${rank} has λ = 0`,
          );
        values = eigenvectorActivations(positions, pair.vectorModel, pair.eigenvalue);
        what = `eigenvector ${rank} (λ = ${pair.eigenvalue.toPrecision(4)}): λ (vᵀx)²`;
      } else if (sae !== null) {
        values = await inputAt(options.saeOut as string, () =>
          saeFeatureActivations(positions, sae, options.feature as number),
        );
        what = `SAE feature ${options.feature}: its TopK code`;
      } else {
        values = directionActivations(positions, direction);
        what = `token ${options.output}: the MLP's output along W_U[t]`;
      }
      const contexts = topContexts(values, positions, sequences, { top: options.top });
      const tokenOf = (id: number) => tokenizer.idToToken(id) ?? `#${id}`;
      if (options.json) {
        printLine(
          JSON.stringify({
            layer: options.layer,
            what,
            positions: positions.where.length,
            contexts: contexts.map((context) => ({ ...context, text: context.tokens.map(tokenOf) })),
          }),
        );
        return;
      }
      const lines = [
        `layer ${options.layer}, ${what}; ${formatInteger(positions.where.length)} positions read`,
      ];
      for (const context of contexts) {
        const words = context.tokens.map((id, i) => (i === context.focus ? `[${tokenOf(id)}]` : tokenOf(id)));
        lines.push(`${context.value.toPrecision(4).padStart(10)}  ${words.join(' ')}`);
      }
      printLine(lines.join('\n'));
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

function contextOf(model: LanguageModel): number {
  return windowContext(model.config?.context);
}

/** The tokenizer named, or the model folder's tokenizer.json; its vocabulary must be the model's. */
async function modelTokenizer(
  given: string,
  named: string | undefined,
  model: LanguageModel,
): Promise<Tokenizer> {
  let path = named;
  if (path === undefined) {
    const folder = (await stat(given)).isDirectory() ? given : dirname(given);
    path = join(folder, 'tokenizer.json');
    const found = await stat(path).catch(() => null);
    if (!found?.isFile()) {
      throw new CliInputError(
        `${given}: no tokenizer.json beside the model: pass --tokenizer <tokenizer.json>`,
      );
    }
  }
  const tokenizerPath = path;
  const tokenizer = await readTokenizer(tokenizerPath);
  if (tokenizer.vocabSize !== model.vocabSize) {
    throw new CliInputError(
      `${tokenizerPath}: a vocabulary of ${tokenizer.vocabSize} tokens, but the model has ${model.vocabSize}: not this model's tokenizer`,
    );
  }
  return tokenizer;
}

/** A corpus tokenized (documents cleaned and de-duplicated, [BOS] first) and packed into windows. */
async function corpusWindows(path: string, tokenizer: Tokenizer, context: number, maxTokens: number) {
  const windows = await tokenizerInput(() =>
    inputAt(path, () => tokenWindows(readCorpusDocuments(path), tokenizer, context, maxTokens)),
  );
  if (windows.length === 0) throw new CliInputError(`${path}: no text to read`);
  return windows;
}

/** Where a command reads its text: token ids, or a corpus through the model's tokenizer. */
export interface TextSource {
  tokens?: string;
  corpus?: string;
  tokenizer?: string;
  maxTokens: number;
}

/** The sequences `--tokens <ids.json>` or `--corpus <file>` (exactly one) give, checked against the model. */
export async function textSequences(
  given: string,
  model: LanguageModel,
  source: TextSource,
  purpose: string,
): Promise<number[][]> {
  if ((source.tokens === undefined) === (source.corpus === undefined)) {
    throw new CliInputError(
      `give the text to ${purpose}: --tokens <ids.json> or --corpus <file> (one of them)`,
    );
  }
  if (source.tokens !== undefined) {
    const path = source.tokens;
    return inputAt(path, async () => tokenSequences(JSON.parse(await readFile(path, 'utf8')), model, path));
  }
  const tokenizer = await modelTokenizer(given, source.tokenizer, model);
  return corpusWindows(source.corpus as string, tokenizer, contextOf(model), source.maxTokens);
}
