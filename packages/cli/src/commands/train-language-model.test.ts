// `bilinear train` for language models, through the built CLI: a tiny bilinear transformer trained
// for a few steps on a small corpus, its HF folder, the JSON line, and `lm eval` agreeing with it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { languageModelConfigFromJson, parseSafetensors } from '@bilinear-lab/core';
import { storyCorpus, Tokenizer } from '@bilinear-lab/text';
import { consecutiveWindows, tokenizeCorpus } from '@bilinear-lab/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli, runCliUntil, temporaryDirectory } from '../testing/cli.js';

interface TrainJson {
  val_loss: number;
  train_loss: number;
  steps: number;
  tokens_per_s: number;
  backend: string;
  seconds: number;
}

const directory = temporaryDirectory();
afterAll(() => directory.remove());
const at = (name: string) => join(directory.path, name);
const CORPUS = at('corpus.txt');
const TINY = [
  '--layers',
  '2',
  '--d-model',
  '16',
  '--heads',
  '2',
  '--d-hidden',
  '24',
  '--ctx',
  '16',
  '--batch',
  '4',
];

function trainJson(run: CliRun): TrainJson {
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as TrainJson;
}

/** The held-out windows the trainer scores (the corpus split and cut as it does), as lm eval's ids.json. */
async function heldOutWindows(tokenizerJson: string, context: number): Promise<number[][]> {
  const tokenizer = Tokenizer.fromJson(tokenizerJson);
  const documents = readFileSync(CORPUS, 'utf8').trim().split('\n\n');
  const corpus = await tokenizeCorpus(documents, tokenizer, { validationShare: 0.05, minTokens: context });
  const windows = consecutiveWindows(corpus.validation, context, 256);
  if (windows === null) throw new Error('no held-out windows');
  return Array.from({ length: windows.windows }, (_, w) =>
    Array.from(windows.tokens.subarray(w * context, (w + 1) * context)),
  );
}

beforeAll(() => {
  writeFileSync(CORPUS, storyCorpus({ seed: 7, count: 400 }));
});

describe('bilinear train --dataset text:<file>', () => {
  const out = at('lm');
  let result: TrainJson;
  let run: CliRun;

  beforeAll(() => {
    run = runCli([
      'train',
      '--dataset',
      `text:${CORPUS}`,
      '--vocab',
      '200',
      ...TINY,
      '--steps',
      '40',
      '--lr',
      '1e-2',
      '--warmup',
      '4',
      '--out',
      out,
      '--json',
    ]);
    result = trainJson(run);
  });

  it('ends with the JSON line {val_loss, train_loss, steps, tokens_per_s, backend, seconds}', () => {
    expect(Object.keys(result)).toEqual([
      'val_loss',
      'train_loss',
      'steps',
      'tokens_per_s',
      'backend',
      'seconds',
    ]);
    expect(result.steps).toBe(40);
    // Below the uniform loss ln V after 40 steps of 64 tokens.
    const { vocab_size } = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
      vocab_size: number;
    };
    expect(result.val_loss).toBeLessThan(Math.log(vocab_size) - 0.3);
    expect(result.train_loss).toBeLessThan(Math.log(vocab_size) - 0.3);
    expect(result.tokens_per_s).toBeGreaterThan(0);
    expect(result.backend).toMatch(/^(tensorflow-gpu|tensorflow|wasm|cpu)$/);
    expect(run.stderr).toMatch(/^bilinear: training a WordPiece tokenizer of 200 tokens on text:/m);
    expect(run.stderr).toMatch(/^step 4\/40: loss [\d.]+, lr [\d.e+-]+, [\d,]+ tokens\/s, ETA \d+ s$/m);
    expect(run.stderr).toMatch(/^step 40\/40: held-out loss [\d.]+, mean train loss [\d.]+/m);
  });

  it('writes an HF folder: the official config fields, the reference keys, the tokenizer it trained', () => {
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(config)).toEqual([
      'n_head',
      'n_layer',
      'n_ctx',
      'd_model',
      'd_hidden',
      'bilinear',
      'gate',
      'bias',
      'normalization',
      'vocab_size',
      'scale_attn',
      'model_type',
    ]);
    const tokenizer = Tokenizer.fromJson(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
    expect(config).toMatchObject({ n_head: 2, n_layer: 2, n_ctx: 16, d_model: 16, d_hidden: 24, gate: null });
    expect(config.vocab_size).toBe(tokenizer.vocabSize);
    expect(languageModelConfigFromJson(config).scaleAttention).toBe(true);
    const file = parseSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    expect([...file.tensors.keys()].sort()).toEqual(
      [
        'lm_head.weight',
        'transformer.wte.weight',
        ...[0, 1].flatMap((i) =>
          ['attn.o.weight', 'attn.qkv.weight', 'attn.rotary.inv_freq', 'mlp.p.weight', 'mlp.w.weight'].map(
            (key) => `transformer.h.${i}.${key}`,
          ),
        ),
      ].sort(),
    );
    expect([...file.tensors.values()].every((info) => info.dtype === 'F32')).toBe(true);
    expect(file.tensors.get('transformer.h.1.mlp.w.weight')?.shape).toEqual([48, 16]);
  });

  it("scores as lm eval does on the held-out windows (the trainer's float32 against the core's float64)", async () => {
    const windows = await heldOutWindows(readFileSync(join(out, 'tokenizer.json'), 'utf8'), 16);
    writeFileSync(at('held-out.json'), JSON.stringify(windows));
    const evaluation = runCli(['lm', 'eval', out, '--tokens', at('held-out.json'), '--json']);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const { loss, tokens } = JSON.parse(evaluation.stdout) as { loss: number; tokens: number };
    expect(tokens).toBe(windows.length * 15);
    expect(Math.abs(loss - result.val_loss) / loss).toBeLessThan(1e-5);
  });

  it('trains on the bundled stories with a given tokenizer.json, and by epochs', () => {
    const stories = at('stories');
    const summary = runCli([
      'train',
      '--dataset',
      'stories:300',
      '--tokenizer',
      join(out, 'tokenizer.json'),
      ...TINY,
      '--epochs',
      '1',
      '--gate',
      'relu',
      '--out',
      stories,
    ]);
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toMatch(
      /^model {4}.*stories: model\.safetensors \(.*\), config\.json, tokenizer\.json$/m,
    );
    expect(summary.stdout).toMatch(/^trained {2}\d+ steps on stories:300: /m);
    expect(summary.stdout).toMatch(/^loss {5}held-out [\d.]+, train [\d.]+ nats per token$/m);
    const config = JSON.parse(readFileSync(join(stories, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.gate).toBe('relu');
    expect(readFileSync(join(stories, 'tokenizer.json'), 'utf8')).toBe(
      readFileSync(join(out, 'tokenizer.json'), 'utf8'),
    );
  });
});

describe('bilinear train for language models: Ctrl-C, --checkpoint and --resume', () => {
  it('stops on Ctrl-C, keeps the steps taken, and resumed ends exactly where an uninterrupted run does', async () => {
    const args = [
      '--dataset',
      `text:${CORPUS}`,
      '--vocab',
      '200',
      ...TINY,
      '--steps',
      '400',
      '--warmup',
      '4',
    ];
    const checkpoint = at('run.checkpoint.safetensors');
    const interrupted = await runCliUntil(['train', ...args, '--checkpoint', checkpoint, '--out', at('a')], {
      pattern: /^step 80\/400: /m,
      signal: 'SIGINT',
    });
    expect(interrupted.signalled).toBe(true);
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(
      /^bilinear: interrupted after step \d+ of 400; wrote .*run\.checkpoint\.safetensors; continue with --resume /m,
    );
    expect(existsSync(at('a'))).toBe(false);
    const resumed = runCli(['train', '--resume', checkpoint, '--out', at('a'), '--json']);
    expect(resumed.stderr).toMatch(/^bilinear: resuming .* after step \d+, on to step 400$/m);
    const whole = trainJson(runCli(['train', ...args, '--out', at('b'), '--json']));
    const continued = trainJson(resumed);
    expect(continued.val_loss).toBe(whole.val_loss);
    expect(continued.train_loss).toBe(whole.train_loss);
    expect(readFileSync(join(at('a'), 'model.safetensors'))).toEqual(
      readFileSync(join(at('b'), 'model.safetensors')),
    );

    const changed = runCli(['train', '--resume', checkpoint, '--lr', '0.5', '--out', at('c')]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(
      /--lr 0\.5: the run in .* has --lr 0\.001; a resumed run keeps its settings/,
    );
  });
});

describe('bilinear train refuses, with exit status 2 and the flag at fault', () => {
  const refused = (args: readonly string[], message: RegExp) => {
    const run = runCli(['train', ...args, '--out', at('refused')]);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
  };

  it('language-model flags with an image dataset, and image flags with a corpus', () => {
    refused(['--dataset', 'toy', '--d-model', '8'], /^bilinear: --d-model: is for language models/m);
    refused(['--dataset', 'mnist', '--steps', '8'], /^bilinear: --steps: is for language models/m);
    refused(
      ['--dataset', 'stories', ...TINY, '--steps', '2', '--hidden', '8'],
      /^bilinear: --hidden: is for image and toy models/m,
    );
    refused(
      ['--dataset', 'stories', ...TINY, '--steps', '2', '--input-noise', '0.1'],
      /--input-noise: is for image/,
    );
  });

  it('a language model without its network flags, with both --steps and --epochs, or both tokenizer flags', () => {
    refused(
      ['--dataset', 'stories', '--steps', '2'],
      /a language model needs --layers, --d-model, --heads, --d-hidden, --ctx, --batch/,
    );
    refused(['--dataset', 'stories', ...TINY], /needs --steps or --epochs/);
    refused(
      ['--dataset', 'stories', ...TINY, '--steps', '2', '--epochs', '1'],
      /--steps and --epochs: give one/,
    );
    refused(
      ['--dataset', 'stories', ...TINY, '--steps', '2', '--vocab', '50', '--tokenizer', 't.json'],
      /--tokenizer and --vocab/,
    );
  });

  it('heads that do not divide d_model, a warm-up as long as the run, a missing corpus, an --out file', () => {
    const base = ['--dataset', `text:${CORPUS}`, '--vocab', '100'];
    refused(
      [...base, ...TINY, '--heads', '3', '--steps', '2'],
      /^bilinear: --heads: 3 heads do not divide d_model 16/m,
    );
    refused(
      [...base, ...TINY, '--steps', '5', '--warmup', '5'],
      /--warmup 5: not fewer than the 5 optimiser steps/,
    );
    refused(['--dataset', `text:${at('missing.txt')}`, ...TINY, '--steps', '2'], /missing\.txt/);
    refused(
      ['--dataset', 'stories:0', ...TINY, '--steps', '2'],
      /stories:<count> takes a whole number of stories ≥ 1/,
    );
    const run = runCli(['train', ...base, ...TINY, '--steps', '2', '--out', CORPUS]);
    expect(run.stderr).toMatch(/--out .*corpus\.txt: is a file; a language model is written as a folder/);
    expect(run.code).toBe(2);
  });
});
