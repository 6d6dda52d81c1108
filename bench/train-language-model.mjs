#!/usr/bin/env node
// Benchmark: the bilinear transformer's training in TensorFlow.js against PyTorch training the same
// module (make_lm.py's, packages/training/src/language-model/torch_reference.py) on the same machine,
// in the same run: tokens per second, and the ratio. With --recipe it also trains the fixture's recipe
// (../shared/fixtures/lm: corpus.txt with its tokenizer.json; 2 layers, d 48, 4 heads, hidden 128,
// ctx 48, batch 16 random windows, 400 steps, AdamW lr 3e-3 betas (0.9, 0.95) wd 0.1, 50 warm-up steps
// then linear decay to 0) and scores held_out_tokens.json with the core's float64 forward pass, against
// the 3.15 nats PyTorch reached (lm_dev.reference.json). The PyTorch reference runs on the benchmark
// harness (@bilinear-lab/bench): reported absent when --torch-python cannot import torch.
//
//   node bench/train-language-model.mjs [--layers 2 --d-model 48 --heads 4 --d-hidden 128 --ctx 48
//        --vocab 768 --batch 16] [--steps 40] [--backend auto] [--threads 1,2] [--recipe]
//        [--torch-python /usr/bin/python3] [--json]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import {
  describeReference,
  formatRatio,
  machineLine,
  probePython,
  renderReport,
  runReference,
} from '@bilinear-lab/bench';
import { importModel, languageModelLoss, parseSafetensors, seededRandom } from '@bilinear-lab/core';
import { readCorpusDocuments, Tokenizer } from '@bilinear-lab/text';
import {
  languageModelConfigJson,
  languageModelFolderFiles,
  languageModelShape,
  selectBackend,
  tokenizeCorpus,
  trainLanguageModel,
} from '@bilinear-lab/training';

// As the CLI runs: V8's optimising wasm tier from the first call.
setFlagsFromString('--no-liftoff');
setFlagsFromString('--no-wasm-lazy-compilation');

const { values: flags } = parseArgs({
  options: {
    layers: { type: 'string', default: '2' },
    'd-model': { type: 'string', default: '48' },
    heads: { type: 'string', default: '4' },
    'd-hidden': { type: 'string', default: '128' },
    ctx: { type: 'string', default: '48' },
    vocab: { type: 'string', default: '768' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '40' },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: '1,2' },
    recipe: { type: 'boolean' },
    'torch-python': { type: 'string', default: '/usr/bin/python3' },
    json: { type: 'boolean' },
  },
});
const shape = languageModelShape({
  vocabSize: Number(flags.vocab),
  modelDim: Number(flags['d-model']),
  hiddenDim: Number(flags['d-hidden']),
  layers: Number(flags.layers),
  heads: Number(flags.heads),
  context: Number(flags.ctx),
});
const batch = Number(flags.batch);
const steps = Number(flags.steps);
const FIXTURES = fileURLToPath(new URL('../../shared/fixtures/lm/', import.meta.url));
const TORCH_REFERENCE = fileURLToPath(
  new URL('../packages/training/src/language-model/torch_reference.py', import.meta.url),
);
const torchReference = probePython(flags['torch-python'], 'torch', process.env);
const directory = mkdtempSync(join(tmpdir(), 'bilinear-bench-lm-'));

/**
 * Tokens per second of our trainer: `count` steps of random windows, timed after 3 untimed ones in
 * the same run (the gradient threads' backends warm up in their first steps).
 */
async function ourSpeed(count, threads) {
  const random = seededRandom(1);
  const tokens = Int32Array.from({ length: 100_000 }, () => Math.floor(random() * shape.vocabSize));
  const data = { train: tokens, validation: tokens.subarray(0, shape.context * 4) };
  const untimed = 3;
  let startedAt = 0;
  let endedAt = 0;
  await trainLanguageModel(
    data,
    {
      shape,
      batchSize: batch,
      steps: untimed + count,
      learningRate: 1e-3,
      weightDecay: 0.1,
      seed: 1,
      threads,
    },
    {
      onStep: (metrics) => {
        if (metrics.step === untimed) startedAt = metrics.seconds;
        if (metrics.step === untimed + count) endedAt = metrics.seconds;
      },
    },
  );
  return (count * batch * shape.context) / (endedAt - startedAt);
}

/** PyTorch's tokens per second on the same module and batch, with `threads` threads. */
function torchSpeed(threads) {
  const config = join(directory, 'config.json');
  writeFileSync(config, JSON.stringify(languageModelConfigJson(shape)));
  return runReference(
    torchReference,
    { path: TORCH_REFERENCE },
    ['time', config, batch, steps, threads],
    `PyTorch's training steps failed with ${threads} thread${threads === 1 ? '' : 's'}`,
  );
}

/** The fixture's recipe, trained here; held-out loss on held_out_tokens.json. */
async function recipe() {
  const tokenizer = Tokenizer.fromJson(readFileSync(join(FIXTURES, 'tokenizer.json'), 'utf8'));
  const corpus = await tokenizeCorpus(readCorpusDocuments(join(FIXTURES, 'corpus.txt')), tokenizer, {
    validationShare: 0.05,
    minTokens: 48,
  });
  const recipeShape = languageModelShape({
    vocabSize: tokenizer.vocabSize,
    modelDim: 48,
    hiddenDim: 128,
    layers: 2,
    heads: 4,
    context: 48,
  });
  const result = await trainLanguageModel(corpus, {
    shape: recipeShape,
    batchSize: 16,
    steps: 400,
    learningRate: 3e-3,
    warmupSteps: 50,
    weightDecay: 0.1,
    seed: 1,
  });
  const files = languageModelFolderFiles(recipeShape, result.state.parameters);
  const model = importModel(parseSafetensors(files.safetensors), { config: files.configJson });
  const held = JSON.parse(readFileSync(join(FIXTURES, 'held_out_tokens.json'), 'utf8'));
  const reference = JSON.parse(readFileSync(join(FIXTURES, 'lm_dev.reference.json'), 'utf8'));
  return {
    heldOutLoss: languageModelLoss(model, held).loss,
    pytorchHeldOutLoss: reference.held_out_loss,
    validationLoss: result.validationLoss,
    tokensPerSecond: result.tokensPerSecond,
    seconds: result.seconds,
  };
}

try {
  const backend = await selectBackend(flags.backend);
  const threadCounts = flags.threads.split(',').map(Number);
  const oursByThreads = [];
  for (const threads of threadCounts)
    oursByThreads.push({ threads, tokensPerSecond: await ourSpeed(steps, threads) });
  // The reference for the ratios: our trainer on one thread (or the first count asked for).
  const ours = oursByThreads[0].tokensPerSecond;
  const torch = torchReference.available ? [torchSpeed(1), torchSpeed(availableParallelism())] : [];
  const recipeResult = flags.recipe && existsSync(join(FIXTURES, 'corpus.txt')) ? await recipe() : null;
  const rows = [
    ...oursByThreads.map((run) => [
      `tfjs ${backend.name}, ${run.threads} thread${run.threads === 1 ? '' : 's'} (this trainer)`,
      run.tokensPerSecond,
      run.tokensPerSecond / ours,
    ]),
    ...torch.map((run) => [
      `PyTorch ${run.torch}, ${run.threads} thread${run.threads === 1 ? '' : 's'}`,
      run.tokens_per_s,
      run.tokens_per_s / ours,
    ]),
  ];
  const summary = {
    config: { ...languageModelConfigJson(shape), batch, steps },
    backend: backend.name,
    tokens_per_s: Math.round(ours),
    threads: oursByThreads.map((run) => ({
      threads: run.threads,
      tokens_per_s: Math.round(run.tokensPerSecond),
    })),
    torch: torch.map((run) => ({ threads: run.threads, tokens_per_s: Math.round(run.tokens_per_s) })),
    ratio_to_torch_1_thread: torch[0] ? Number((ours / torch[0].tokens_per_s).toFixed(3)) : null,
    recipe: recipeResult && {
      held_out_loss: Number(recipeResult.heldOutLoss.toFixed(4)),
      pytorch_held_out_loss: Number(recipeResult.pytorchHeldOutLoss.toFixed(4)),
      relative_to_pytorch: Number((recipeResult.heldOutLoss / recipeResult.pytorchHeldOutLoss).toFixed(4)),
      validation_loss: Number(recipeResult.validationLoss.toFixed(4)),
      tokens_per_s: Math.round(recipeResult.tokensPerSecond),
      seconds: Number(recipeResult.seconds.toFixed(1)),
    },
  };
  const { layers, modelDim, heads, hiddenDim, context, vocabSize } = shape;
  console.log(
    renderReport(
      {
        heading: [
          `training step: ${layers} layers, d ${modelDim}, ${heads} heads, hidden ${hiddenDim}, vocab ${vocabSize}, ` +
            `${batch} windows × ${context} tokens, ${steps} steps`,
        ],
        table: {
          rows: [
            ['run', 'tokens/s', 'relative to the first'],
            ...rows.map(([label, speed, ratio]) => [label, String(Math.round(speed)), formatRatio(ratio)]),
          ],
          align: ['left', 'right', 'right'],
        },
        notes: [
          `reference: ${describeReference(torchReference)}`,
          ...(recipeResult
            ? [
                `fixture recipe: held-out loss ${recipeResult.heldOutLoss.toFixed(4)} nats (PyTorch ${recipeResult.pytorchHeldOutLoss.toFixed(4)}; ` +
                  `ratio ${(recipeResult.heldOutLoss / recipeResult.pytorchHeldOutLoss).toFixed(3)}), ` +
                  `${Math.round(recipeResult.tokensPerSecond)} tokens/s, ${recipeResult.seconds.toFixed(1)} s`,
              ]
            : []),
        ],
        machine: machineLine([torchReference]),
        results: [summary],
      },
      { json: flags.json },
    ),
  );
} finally {
  rmSync(directory, { recursive: true, force: true });
}
