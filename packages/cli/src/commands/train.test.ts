import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrainingConfigSchema } from '@bilinear-lab/contracts';
import { parseSafetensors } from '@bilinear-lab/core';
import { probeWebGpu } from '@bilinear-lab/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, EXAMPLE_MODEL, runCli, runCliUntil, temporaryDirectory } from '../testing/cli.js';

interface TrainJson {
  test_accuracy: number | null;
  test_loss: number;
  epochs: number;
  samples_per_s: number;
  backend: string;
  seconds: number;
}

const directory = temporaryDirectory();
afterAll(() => directory.remove());
const at = (name: string) => join(directory.path, name);

/** The JSON line `train --json` ends stdout with. */
function trainJson(run: CliRun): TrainJson {
  expect(run.stderr).not.toMatch(/^bilinear: (?!backend: |wrote |resuming )/m);
  expect(run.code).toBe(0);
  const last = run.stdout.trim().split('\n').at(-1) as string;
  return JSON.parse(last) as TrainJson;
}

// A small, quick MNIST run: 16 steps of 500 digits. The learning rate is raised from the default
// 1e-3 so that a single epoch gets well above chance.
const SMALL_MNIST = ['--dataset', 'mnist', '--hidden', '32', '--batch', '500', '--lr', '1e-2'];

describe('bilinear train defaults', () => {
  it("are the platform's (API, dashboard, demo), with the reference's batch named in the help", () => {
    const help = runCli(['train', '--help']);
    expect(help.code).toBe(0);
    // One block per option: its line and the wrapped lines of its description.
    const options = help.stdout
      .split(/\n(?=\s{2}(?:-\w, )?--)/)
      .map((block) => block.trim().replace(/\s+/g, ' '));
    const option = (flag: string) => options.find((block) => block.startsWith(flag)) ?? '';
    const platform = TrainingConfigSchema.parse({});
    const defaults: [flag: string, value: number][] = [
      ['--hidden <d>', platform.hiddenDim],
      ['--epochs <n>', platform.epochs],
      ['--batch <n>', platform.batchSize],
      ['--lr <rate>', platform.learningRate],
      ['--weight-decay <wd>', platform.weightDecay],
      ['--input-noise <std>', platform.inputNoise],
      ['--seed <n>', platform.seed],
    ];
    for (const [flag, value] of defaults) expect(option(flag), flag).toContain(`(default: ${value})`);
    expect(option('--batch <n>')).toMatch(/reference code's 2048/);
  });
});

describe('bilinear train on the toy task', () => {
  it('trains with the toy defaults (d = 6, no input noise) and ends with one JSON line', () => {
    const out = at('toy.safetensors');
    const result = trainJson(runCli(['train', '--dataset', 'toy', '--epochs', '3', '--out', out, '--json']));
    expect(Object.keys(result)).toEqual([
      'test_accuracy',
      'test_loss',
      'epochs',
      'samples_per_s',
      'backend',
      'seconds',
    ]);
    expect(result.test_accuracy).toBeNull();
    expect(Number.isFinite(result.test_loss)).toBe(true);
    expect(result.test_loss).toBeGreaterThan(0);
    expect(result.epochs).toBe(3);
    expect(result.samples_per_s).toBeGreaterThan(0);
    expect(result.backend).toMatch(/^(tensorflow-gpu|tensorflow|wasm|cpu)$/);
    const config = JSON.parse(readFileSync(`${out}.config.json`, 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      architecture: 'bilinear-toy',
      d_input: 4,
      d_hidden: 6,
      d_output: 6,
      loss: 'mse',
    });
    expect(config.training).toMatchObject({
      dataset: 'toy',
      epochs: 3,
      input_noise: 0,
      test_loss: result.test_loss,
    });
    // The same config rides in the safetensors metadata, and the tensors are the reference layout.
    const file = parseSafetensors(readFileSync(out));
    expect(JSON.parse(file.metadata.bilinear_lab_config as string)).toEqual(config);
    expect([...file.tensors.values()].map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['blocks.0.weight', 'F32', [12, 4]],
      ['head.weight', 'F32', [6, 6]],
    ]);
  });

  it('takes a warm-up in optimiser steps and records it, with its unit, in the config', () => {
    const out = at('toy-warmup.safetensors');
    const args = ['--dataset', 'toy', '--epochs', '3', '--batch', '512', '--warmup-steps', '6'];
    trainJson(runCli(['train', ...args, '--out', out, '--json']));
    const config = JSON.parse(readFileSync(`${out}.config.json`, 'utf8')) as { training: unknown };
    expect(config.training).toMatchObject({
      warmup_steps: 6,
      schedule:
        'linear warm-up over warmup_steps optimiser steps, times a cosine stepped once per epoch (T_max = epochs)',
    });
  });

  it('prints one line per epoch on stderr when it is not a terminal, and a summary on stdout', () => {
    const out = at('toy-text.safetensors');
    const run = runCli(['train', '--dataset', 'toy:7', '--epochs', '2', '--batch', '256', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^bilinear: backend: \w/m);
    expect(run.stderr).toMatch(
      /^epoch 1\/2: train loss [\d.]+; test loss [\d.]+; [\d,]+ samples\/s, [\d.]+ s$/m,
    );
    expect(run.stderr).toMatch(/^epoch 2\/2: /m);
    expect(run.stdout).toContain(`model    ${out} (`);
    expect(run.stdout).toContain('network  toy 4 → d = 6 × 1 layer → 6 outputs');
    expect(run.stdout).toMatch(/^trained {2}2 epochs on toy:7: /m);
  });

  it('stops on Ctrl-C between steps, keeps the last finished epoch in --checkpoint and exits 130', async () => {
    const out = at('interrupted.safetensors');
    const checkpoint = at('interrupted.checkpoint.safetensors');
    const run = await runCliUntil(
      [
        'train',
        '--dataset',
        'toy',
        '--epochs',
        '100000',
        '--batch',
        '64',
        '--checkpoint',
        checkpoint,
        '--out',
        out,
      ],
      { pattern: /^epoch 3\/100000: /m, signal: 'SIGINT' },
    );
    expect(run.signalled).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(
      /^bilinear: interrupted in epoch \d+ of 100000 \(after step \d+\); wrote .*interrupted\.checkpoint\.safetensors at the end of epoch \d+, the last one finished; continue with --resume /m,
    );
    expect(existsSync(out)).toBe(false);
    const epoch = Number(/at the end of epoch (\d+)/.exec(run.stderr)?.[1]);
    expect(epoch).toBeGreaterThanOrEqual(3);

    const resumed = runCli([
      'train',
      '--resume',
      checkpoint,
      '--epochs',
      String(epoch + 1),
      '--out',
      out,
      '--json',
    ]);
    expect(resumed.stderr).toContain(`bilinear: resuming ${checkpoint} after epoch ${epoch}`);
    expect(trainJson(resumed).epochs).toBe(epoch + 1);
  });
});

describe('bilinear train on MNIST', () => {
  const oneEpoch = at('mnist-1.safetensors');
  const checkpoint = at('mnist-1.checkpoint.safetensors');
  let result: TrainJson;

  beforeAll(() => {
    result = trainJson(
      runCli([
        'train',
        ...SMALL_MNIST,
        '--epochs',
        '1',
        '--checkpoint-every',
        '1',
        '--checkpoint',
        checkpoint,
        '--out',
        oneEpoch,
        '--json',
      ]),
    );
  });

  it('learns well above chance in one epoch', () => {
    expect(result.epochs).toBe(1);
    expect(result.test_accuracy).toBeGreaterThan(0.6);
    expect(result.test_loss).toBeLessThan(Math.log(10));
  });

  it('writes a model that inspect recognises and decompose reproduces exactly', () => {
    const inspect = runCli(['inspect', oneEpoch, '--json']);
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout).layout).toEqual({
      name: 'image-classifier',
      input_dim: 784,
      image_shape: [28, 28],
      model_dim: 32,
      hidden_dim: 32,
      blocks: 1,
      classes: 10,
      residual: false,
      gate: 'none',
      config_source: 'metadata',
      config_file: `${oneEpoch}.config.json`,
    });
    const decompose = runCli(['decompose', oneEpoch, '--top-k', '2', '--json']);
    expect(decompose.code).toBe(0);
    const decomposition = JSON.parse(decompose.stdout) as {
      outputs: unknown[];
      exactness: { max_rel_error: number };
    };
    expect(decomposition.outputs).toHaveLength(10);
    expect(decomposition.exactness.max_rel_error).toBeLessThan(1e-6);
  });

  it('scores the same with evaluate, which finds the dataset in the model file', () => {
    const run = runCli(['evaluate', oneEpoch, '--json']);
    expect(run.code).toBe(0);
    const evaluation = JSON.parse(run.stdout) as { dataset: string; accuracy: number; loss: number };
    expect(evaluation.dataset).toBe('mnist');
    expect(evaluation.accuracy).toBe(result.test_accuracy);
    expect(evaluation.loss).toBeCloseTo(result.test_loss, 10);
  });

  it('resumed from the epoch-1 checkpoint, gives exactly the uninterrupted 2-epoch run', () => {
    const straightOut = at('mnist-2.safetensors');
    const straight = trainJson(
      runCli(['train', ...SMALL_MNIST, '--epochs', '2', '--out', straightOut, '--json']),
    );
    const resumedOut = at('mnist-2-resumed.safetensors');
    const resumed = trainJson(
      runCli(['train', '--resume', checkpoint, '--epochs', '2', '--out', resumedOut, '--json']),
    );
    expect(resumed.epochs).toBe(2);
    expect(resumed.test_accuracy).toBe(straight.test_accuracy);
    expect(resumed.test_loss).toBe(straight.test_loss);
    expect(resumed.test_accuracy).toBeGreaterThan(result.test_accuracy as number);
    // Weights and metadata, byte for byte.
    expect(readFileSync(resumedOut).equals(readFileSync(straightOut))).toBe(true);
  });

  it('refuses to resume with a setting that would make it another run', () => {
    const run = runCli([
      'train',
      '--resume',
      checkpoint,
      '--epochs',
      '2',
      '--hidden',
      '64',
      '--out',
      at('x.safetensors'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `bilinear: --hidden 64: the run in ${checkpoint} has --hidden 32; a resumed run keeps its settings (leave the flag out, or start a new run without --resume)\n`,
    );
  });
});

describe('bilinear train input errors exit 2 and say what and where', () => {
  const out = () => at('never.safetensors');

  it('an unknown dataset, listing the forms it accepts', () => {
    const run = runCli(['train', '--dataset', 'cifar', '--out', out()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^bilinear: --dataset cifar: unknown dataset 'cifar': expected one of 'mnist' /,
    );
    expect(run.stderr).toContain("'idx:<dir>'");
  });

  it('an IDX directory that does not exist', () => {
    const missing = at('no-such-dir');
    const run = runCli(['train', '--dataset', `idx:${missing}`, '--out', out()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `bilinear: --dataset idx:${missing}: train-images-idx3-ubyte: not found in ${missing} (looked for train-images-idx3-ubyte and train-images-idx3-ubyte.gz)\n`,
    );
  });

  it.each([
    ['--batch', '0', 'It must be a whole number ≥ 1.'],
    ['--gate', 'foo', 'Allowed choices are none, relu, silu, gelu.'],
    ['--lr', '0', 'It must be a number > 0'],
    ['--input-noise', '-1', 'It must be a number ≥ 0'],
    ['--warmup-steps', '1.5', 'It must be a whole number ≥ 0.'],
    ['--backend', 'gpu', 'Allowed choices are auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu.'],
  ])('%s %s', (flag, value, reason) => {
    const run = runCli(['train', '--dataset', 'toy', flag, value, '--out', out()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`'${value}' is invalid. ${reason}`);
  });

  it('--backend webgpu without a usable GPU adapter exits 2 saying why', async (context) => {
    const probe = await probeWebGpu();
    if (probe.ok) {
      console.log(`skipped: this machine has a GPU adapter (${probe.device}), so webgpu trains`);
      context.skip();
    }
    const run = runCli(['train', '--dataset', 'toy', '--epochs', '1', '--backend', 'webgpu', '--out', out()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^bilinear: --backend webgpu: no usable backend for "webgpu" \(webgpu: (no GPU adapter|.* not a GPU|webgpu is not installed)/m,
    );
  });

  it('a warm-up as long as the run, counted in optimiser steps, before any training', () => {
    // The toy task's 2,048 training samples in batches of 512: 4 optimiser steps an epoch, 12 in all.
    const run = runCli([
      'train',
      '--dataset',
      'toy',
      '--epochs',
      '3',
      '--batch',
      '512',
      '--warmup-steps',
      '12',
      '--out',
      out(),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'bilinear: --warmup-steps: 12 is not fewer than the 12 optimiser steps of the run ' +
        '(3 epochs × 4 steps: 2048 training samples in batches of 512); ' +
        'the warm-up counts optimiser steps and must end before the run does\n',
    );
    expect(existsSync(out())).toBe(false);
  });

  it('--resume of a file that is not a checkpoint', () => {
    const run = runCli(['train', '--resume', EXAMPLE_MODEL, '--out', out()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `bilinear: ${EXAMPLE_MODEL}: not a training checkpoint (no optimizer state in it: a model file?); train --checkpoint <file> writes checkpoints\n`,
    );
    const notSafetensors = at('notes.txt');
    writeFileSync(notSafetensors, 'hello');
    const garbage = runCli(['train', '--resume', notSafetensors, '--out', out()]);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(new RegExp(`^bilinear: ${notSafetensors}: `));
  });

  it('no dataset, --checkpoint-every without --checkpoint, an --out directory that does not exist', () => {
    const noDataset = runCli(['train', '--out', out()]);
    expect(noDataset.code).toBe(2);
    expect(noDataset.stderr).toMatch(/^bilinear: --dataset: missing: /);
    const noCheckpoint = runCli(['train', '--dataset', 'toy', '--checkpoint-every', '2', '--out', out()]);
    expect(noCheckpoint.code).toBe(2);
    expect(noCheckpoint.stderr).toBe(
      'bilinear: --checkpoint-every: needs --checkpoint <file> to write the checkpoints to\n',
    );
    const nowhere = join(directory.path, 'missing', 'model.safetensors');
    const noDirectory = runCli(['train', '--dataset', 'toy', '--out', nowhere]);
    expect(noDirectory.code).toBe(2);
    expect(noDirectory.stderr).toBe(
      `bilinear: ${nowhere}: directory ${join(directory.path, 'missing')} does not exist\n`,
    );
    expect(runCli(['train', '--dataset', 'toy']).stderr).toContain(
      "required option '--out <file>' not specified",
    );
  });
});
