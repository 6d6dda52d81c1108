import { availableParallelism } from 'node:os';
import {
  type BilinearModel,
  compileKernelsInBackground,
  type Decomposition,
  type DecomposeOptions as DecompositionSettings,
  decomposeFile,
  decompositionTarget,
  EXACTNESS_TOLERANCE,
  importModel,
  withFileReference,
} from '@bilinear-lab/core';
import { decomposeInThreads, decomposeTargetWithHelper, InteractionHelper } from '@bilinear-lab/threads';
import type { Command } from 'commander';
import {
  decompositionJsonChunks,
  decompositionJsonHead,
  decompositionJsonTail,
  outputJson,
  READING_ENTRIES,
} from '../decomposition-json.js';
import { takeEarlyHelper } from '../early-helper.js';
import { CliInputError, EXIT_INTERNAL, inputAt } from '../errors.js';
import { formatBytes, formatValue, renderTable, sparkline } from '../format.js';
import { languageModelSettings } from '../language-model-settings.js';
import { modelImportOptions, readSafetensorsFile, resolveModelFile } from '../model-file.js';
import { wholeNumber, wholeNumberList } from '../options.js';
import { note, openAtomicFile, printLine, stdoutSink, type TextSink } from '../output.js';
import { progressBar } from '../progress.js';

interface DecomposeOptions {
  topK: number;
  outputs?: number[];
  comparison?: number[];
  saeOut?: string;
  features?: number[];
  saeIn?: string;
  vector?: string;
  layer?: number;
  residual?: boolean;
  config?: string;
  samples: number;
  threads?: number;
  out?: string;
  json?: boolean;
}

/** Eigenvalues shown at each end of the spectrum in the text summary. */
const SHOWN_EIGENVALUES = 5;
const SPARKLINE_WIDTH = 24;

export function registerDecompose(program: Command): void {
  program
    .command('decompose')
    .description(
      'eigendecompose the interaction matrix of every output (class logit; for a language model, tokens, SAE features or vectors) of a bilinear model',
    )
    .argument(
      '<model>',
      'a .safetensors model (image-classifier or language-model layout; see `bilinear inspect`), or an HF model folder',
    )
    .option(
      '--top-k <k>',
      'eigenvectors kept per sign: the k most positive and the k most negative',
      wholeNumber(0),
      32,
    )
    .option(
      '--outputs <list>',
      'output indices to decompose, e.g. 0,3,7 (default: every class; required for a language model)',
      wholeNumberList(0),
    )
    .option(
      '--comparison <list>',
      'language models, with --outputs: decompose along W_U[t] − mean(W_U[c]) for these comparison token ids c',
      wholeNumberList(0),
    )
    .option(
      '--sae-out <folder>',
      "language models: an SAE on the layer's MLP output; decompose along its --features",
    )
    .option(
      '--features <list>',
      'with --sae-out: the feature ids whose encoder rows are the directions',
      wholeNumberList(0),
    )
    .option(
      '--sae-in <folder>',
      "language models: an SAE on the layer's MLP input; decompose DᵀQD over its features (D its decoder)",
    )
    .option('--vector <file.npy>', 'language models: decompose along these vectors, shape (d,) or (m, d)')
    .option(
      '--layer <n>',
      "language models: which layer's MLP (default 0); classifiers: only the last block",
      wholeNumber(0),
    )
    .option(
      '--config <path>',
      "the model's config file (default: <file>.config.json, <name>.config.json, or config.json beside a model.safetensors)",
    )
    .option(
      '--residual',
      'image classifiers whose file records no config: the blocks are residual, x + g(x) (the weights cannot tell); an error if the file says otherwise',
    )
    .option(
      '--samples <n>',
      'inputs for the exactness check, outputs rebuilt as Σλ(vᵀx)² (seeded random; a language model that can run its forward pass uses its own MLP inputs on random token sequences; 0 skips it)',
      wholeNumber(0),
      8,
    )
    .option(
      '--threads <n>',
      `worker threads, each decomposing a share of the outputs (default: one per ${OUTPUTS_PER_THREAD} outputs, up to one per core; with fewer outputs, one thread decomposes while a second builds the interaction matrices)`,
      wholeNumber(1),
    )
    .option('--out <path>', 'write the JSON result to this file (atomically: all or nothing)')
    .option('--json', 'print the JSON result on stdout')
    .action(async (given: string, options: DecomposeOptions) => {
      // Used when one thread decomposes (see InteractionHelper): the one the program started as it
      // started (early-helper.ts), else one started now, so that its start-up overlaps reading the
      // model; closed unused otherwise.
      const early = takeEarlyHelper();
      const helper =
        options.threads === undefined && availableParallelism() > 1
          ? (early ?? InteractionHelper.start())
          : null;
      if (early && helper !== early) await early.close();
      // This thread's kernels compile on V8's background threads meanwhile, too.
      const kernels = compileKernelsInBackground();
      try {
        await decompose(given, options, helper, kernels);
      } finally {
        await helper?.close();
      }
    });
}

async function decompose(
  given: string,
  options: DecomposeOptions,
  helper: InteractionHelper | null,
  kernels: Promise<void>,
): Promise<void> {
  const path = await resolveModelFile(given);
  const file = await readSafetensorsFile(path);
  const importOptions = await modelImportOptions(path, options);
  const model = await inputAt(path, () => importModel(file, importOptions));
  const languageModel =
    model.layout === 'language-model' ? await languageModelSettings(model, options) : null;
  if (!languageModel) rejectLanguageModelFlags(options);

  const requested = {
    topK: options.topK,
    exactnessSamples: options.samples,
    ...(options.outputs ? { outputs: options.outputs } : {}),
    ...(options.layer !== undefined ? { layer: options.layer } : {}),
    ...languageModel,
    ...(languageModel ? { readingEntries: READING_ENTRIES } : {}),
  };
  const target = await inputAt(path, () => decompositionTarget(model, requested));
  const outputCount = target.outputs.length;
  const settings = withInputVectorPolicy(model, requested, outputCount);
  const threads = options.threads ?? defaultThreads(outputCount);
  // Many outputs go to the JSON one by one as they are decomposed, never all held at once.
  const sinks = await openSinks(options, outputCount > INPUT_VECTORS_UP_TO);

  const progress = progressBar('decomposing');
  const started = performance.now();
  let decomposition: Decomposition;
  try {
    // Timed: what is left of the compile when reading the model did not cover it.
    await kernels;
    const onProgress = (done: number, total: number, label: string) =>
      progress.update(done, total, outputName(model.layout, label));
    if (sinks) {
      await sinks.write(decompositionJsonHead(target.describe, settings.topK ?? 0));
      decomposition = await inputAt(path, () =>
        decomposeInThreads({
          modelBytes: file.bytes,
          importOptions,
          options: settings,
          threads,
          onProgress,
          onOutput: (output, position) => sinks.write(outputJson(output, position)),
        }),
      );
    } else {
      decomposition = await inputAt(path, () =>
        threads > 1
          ? decomposeInThreads({
              modelBytes: file.bytes,
              importOptions,
              options: settings,
              threads,
              onProgress,
            })
          : helper
            ? decomposeTargetWithHelper(helper, target, withFileReference(file, importOptions, settings), {
                onProgress,
              })
            : decomposeFile(file, importOptions, { ...settings, onProgress }),
      );
    }
  } catch (error) {
    await sinks?.abort();
    throw error;
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  reportFailedExactness(path, decomposition);

  if (sinks) {
    await sinks.write(decompositionJsonTail(decomposition, { seconds }));
    await sinks.commit();
    if (options.out !== undefined) {
      note(
        `bilinear: wrote ${options.out} (${outputCount} outputs, ${formatBytes(sinks.bytes)}) in ${seconds.toFixed(2)} s`,
      );
    }
    return;
  }
  if (options.out === undefined && !options.json) {
    const inputs = languageModel?.sampleInputs
      ? "of the model's own MLP inputs (seeded random token sequences through its forward pass)"
      : 'random inputs';
    printLine(renderSummary(path, decomposition, seconds, inputs));
    return;
  }
  const written = await openSinks(options, true);
  if (!written) return;
  try {
    for (const chunk of decompositionJsonChunks(decomposition, { seconds })) await written.write(chunk);
    await written.commit();
  } catch (error) {
    await written.abort();
    throw error;
  }
  if (options.out !== undefined) {
    note(
      `bilinear: wrote ${options.out} (${decomposition.outputs.length} outputs, ${formatBytes(written.bytes)}) in ${seconds.toFixed(2)} s`,
    );
  }
}

/**
 * Where the JSON goes: the --out file (atomically: all or nothing) and/or stdout (--json), as one
 * sink that counts the bytes of the file's text; null without either, or when not `wanted`.
 */
async function openSinks(
  options: DecomposeOptions,
  wanted: boolean,
): Promise<(TextSink & { readonly bytes: number }) | null> {
  if (!wanted || (options.out === undefined && !options.json)) return null;
  const out = options.out;
  const targets: TextSink[] = [];
  if (out !== undefined) targets.push(await inputAt(out, () => openAtomicFile(out)));
  if (options.json) targets.push(stdoutSink());
  let bytes = 0;
  const each = async (action: (sink: TextSink) => Promise<void>) => {
    for (const sink of targets) await action(sink);
  };
  return {
    get bytes() {
      return bytes;
    },
    async write(chunk) {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      await each((sink) => sink.write(chunk));
    },
    async commit() {
      if (out !== undefined) bytes += 1;
      await each((sink) => sink.write('\n'));
      await inputAt(out ?? 'stdout', () => each((sink) => sink.commit()));
    },
    abort: () => each((sink) => sink.abort()),
  };
}

/** SAE, vector and comparison flags mean nothing to an image classifier: say so rather than ignore them. */
function rejectLanguageModelFlags(options: DecomposeOptions): void {
  const given = [
    options.comparison ? '--comparison' : null,
    options.saeOut ? '--sae-out' : null,
    options.features ? '--features' : null,
    options.saeIn ? '--sae-in' : null,
    options.vector ? '--vector' : null,
  ].filter((flag) => flag !== null);
  if (given.length > 0) {
    throw new CliInputError(`${given.join(', ')}: language models only; this file holds an image classifier`);
  }
}

/**
 * Each thread pays ≈ 0.25 s to start (its own module load, weights and warm-up), so below about
 * this many outputs per thread one thread finishes first (measured at d = 512: 10 classes take
 * ≈ 0.75 s on one thread, ≈ 0.9 s on two).
 */
const OUTPUTS_PER_THREAD = 16;

function defaultThreads(outputs: number): number {
  return Math.max(1, Math.min(availableParallelism(), Math.floor(outputs / OUTPUTS_PER_THREAD)));
}

/**
 * A language model's eigenvector in input space is V values (W_E v over the vocabulary): above this
 * many outputs the JSON keeps only its readings (top and bottom tokens), not the whole vector — all
 * 4096 tokens of a ts-medium layer at top-k 8 would otherwise hold 2 GB of them.
 */
export const INPUT_VECTORS_UP_TO = 64;

function withInputVectorPolicy(
  model: BilinearModel,
  settings: DecompositionSettings,
  outputs: number,
): DecompositionSettings {
  if (model.layout !== 'language-model') return settings;
  if (outputs <= INPUT_VECTORS_UP_TO) return settings;
  note(
    `bilinear: ${outputs} outputs: vector_input is left out (null) above ${INPUT_VECTORS_UP_TO}; top_tokens/bottom_tokens carry each eigenvector's reading`,
  );
  return { ...settings, inputVectors: false };
}

/** Classifier outputs are labelled "0".."9" by the core; say what they are. */
function outputName(layout: string, label: string): string {
  return layout === 'image-classifier' ? `class ${label}` : label;
}

/**
 * Rebuilt outputs that do not match the file's forward pass mean the eigenpairs describe some other
 * model than the file: the result is still written (to be looked at), and the command fails.
 */
function reportFailedExactness(path: string, decomposition: Decomposition): void {
  const { exactness } = decomposition;
  if (exactness === null || exactness.passed) return;
  note(
    `bilinear: ${path}: the outputs rebuilt from the eigenpairs do not match the file's forward pass ` +
      `(max relative error ${exactness.maxRelError.toExponential(2)} > ${EXACTNESS_TOLERANCE}); ` +
      'these eigenpairs do not describe this model. This is a bug: please report it with the file.',
  );
  process.exitCode = EXIT_INTERNAL;
}

function renderSummary(path: string, decomposition: Decomposition, seconds: number, inputs: string): string {
  const layout = String(decomposition.model.layout);
  const first = decomposition.outputs[0];
  const d = first?.eigenvalues.length ?? 0;
  const shown = Math.min(SHOWN_EIGENVALUES, d);
  const column = (values: number[]) => values.map((value) => formatValue(value).padStart(7)).join(' ');
  const rows = decomposition.outputs.map((output) => {
    const values = Array.from(output.eigenvalues);
    return [
      outputName(layout, output.label),
      output.effectiveRank.toFixed(2),
      column(values.slice(0, shown)),
      column(values.slice(d - shown).reverse()),
      sparkline(output.eigenvalues, SPARKLINE_WIDTH),
    ];
  });
  const lines = [
    `${path}: ${describeModel(decomposition.model)}`,
    '',
    renderTable(
      [
        ['output', 'eff. rank', `largest ${shown} λ`, `most negative ${shown} λ`, `all ${d} λ, descending`],
        ...rows,
      ],
      ['left', 'right', 'right', 'right', 'left'],
    ),
    '',
  ];
  const { exactness } = decomposition;
  const linear = decomposition.outputs.some((output) => output.linearModel !== null);
  const formula = linear ? 'Σ λ (vᵀx)² + aᵀx' : 'Σ λ (vᵀx)²';
  const errors =
    exactness === null
      ? ''
      : `max relative error ${exactness.maxRelError.toExponential(2)}, max absolute error ${exactness.maxAbsError.toExponential(2)}`;
  lines.push(
    exactness === null
      ? 'exactness: not checked (--samples 0)'
      : exactness.passed
        ? `exactness: outputs rebuilt as ${formula} from all ${d} eigenpairs${linear ? ' and the linear term' : ''} match the file's own forward pass on ${exactness.samples} ${inputs} (${errors})`
        : red(
            `exactness: FAILED — outputs rebuilt as ${formula} do not match the file's own forward pass on ${exactness.samples} ${inputs} (${errors}; tolerance ${EXACTNESS_TOLERANCE})`,
          ),
  );
  if (linear) {
    lines.push(
      'linear term: the blocks are residual (x + g(x)), so each logit also reads x linearly: aᵀx, with a in "linear_model" of --json/--out',
    );
  }
  lines.push(
    decomposition.topK === 0
      ? 'eigenvectors: none kept (--top-k 0)'
      : `eigenvectors: the ${decomposition.topK} most positive and ${decomposition.topK} most negative per output were computed; ` +
          'use --json or --out to get them',
  );
  lines.push(`sign convention: ${decomposition.signConvention.description}`);
  lines.push(`time: ${seconds.toFixed(2)} s for ${decomposition.outputs.length} outputs`);
  return lines.join('\n');
}

/** What a language model was decomposed along, in words. */
const ALONG: Record<string, string> = {
  tokens: 'token unembeddings',
  'token contrasts': 'token unembeddings minus the mean of comparison tokens',
  'sae features': "an output SAE's encoder rows",
  vectors: 'the given vectors',
};

/** Where the gate and residual settings came from, in words. */
const CONFIG_SOURCES: Record<string, string> = {
  metadata: "as the file's metadata says",
  'config-file': 'as its config file says',
  declared: 'residual as declared with --residual: the file records no config',
  default: 'assumed: the file records no config',
};

function describeModel(model: Record<string, unknown>): string {
  const source = CONFIG_SOURCES[String(model.config_source)] ?? String(model.config_source);
  if (model.layout === 'image-classifier') {
    const image = Array.isArray(model.image_shape) ? ` (${model.image_shape.join('×')})` : '';
    const blocks = model.blocks === 1 ? '1 block' : `${model.blocks} blocks`;
    const kind = model.residual ? 'bilinear, residual' : 'bilinear, not residual';
    return (
      `image-classifier, ${model.input_dim} inputs${image} → d = ${model.model_dim}, ${blocks} (hidden ${model.hidden_dim}; ${kind}) ` +
      `→ ${model.classes} classes (${source}); decomposing block ${model.decomposed_block} through the head`
    );
  }
  if (model.layout === 'language-model') {
    const layers = model.layers === 1 ? '1 layer' : `${model.layers} layers`;
    return (
      `language-model, vocabulary ${model.vocab_size}, d = ${model.model_dim}, ${layers} (hidden ${model.hidden_dim}; ${source}); ` +
      `decomposing the MLP of layer ${model.decomposed_layer} along ${ALONG[String(model.directions)] ?? 'token unembeddings'}` +
      (model.input_features ? `, over the ${model.input_features} features of an input SAE (DᵀQD)` : '')
    );
  }
  return JSON.stringify(model);
}

/** Red on a terminal, plain otherwise (the word FAILED says it either way). */
function red(text: string): string {
  return process.stdout.isTTY ? `\u001b[31m${text}\u001b[39m` : text;
}
