// `bilinear lm eval` and `bilinear decompose` on the language-model fixtures made by PyTorch
// (../shared/fixtures/lm): the loss and the eigenvalues PyTorch computed, and the exact forms.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy } from '@bilinear-lab/core';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_DIR, languageModelTensors, runCli, temporaryDirectory, writeModel } from '../testing/cli.js';

const LM = join(FIXTURE_DIR, 'lm');
const HAS_FIXTURE = existsSync(join(LM, 'lm_dev.reference.json'));
const skipped = HAS_FIXTURE ? '' : ' (skipped: ../shared/fixtures/lm is not beside the repository)';
const directory = temporaryDirectory();
afterAll(() => directory.remove());

interface Ends {
  top8_desc: number[];
  bottom8_asc: number[];
}

function reference() {
  return JSON.parse(readFileSync(join(LM, 'lm_dev.reference.json'), 'utf8')) as {
    held_out_loss: number;
    token_directions: Record<string, Ends>;
    sae_out_features: Record<string, Ends>;
    sae_in_out_features_DtQD: Record<string, Ends>;
  };
}

function json(args: readonly string[]) {
  const run = runCli(args);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

function expectEnds(eigenvalues: number[], ends: Ends) {
  const n = eigenvalues.length;
  ends.top8_desc.forEach((value, i) => {
    expect(Math.abs((eigenvalues[i] as number) - value)).toBeLessThan(1e-5 * Math.abs(value));
  });
  ends.bottom8_asc.forEach((value, i) => {
    expect(Math.abs((eigenvalues[n - 1 - i] as number) - value)).toBeLessThan(1e-5 * Math.abs(value));
  });
}

describe.skipIf(!HAS_FIXTURE)(`bilinear lm eval${skipped}`, () => {
  it('equals the held-out loss PyTorch computed, to 1e-10 relative (the folder or its model.safetensors)', () => {
    const wanted = reference().held_out_loss;
    for (const model of [join(LM, 'lm_dev'), join(LM, 'lm_dev', 'model.safetensors')]) {
      const result = json(['lm', 'eval', model, '--tokens', join(LM, 'held_out_tokens.json'), '--json']);
      expect(Object.keys(result)).toEqual(['loss', 'tokens', 'perplexity']);
      expect(result.tokens).toBe(188);
      expect(Math.abs(result.loss - wanted)).toBeLessThan(1e-10 * wanted);
    }
  });

  it('says what is wrong with the token file (exit 2)', () => {
    const bad = join(directory.path, 'bad.json');
    writeFileSync(bad, '[[1, 2, 9999]]');
    const run = runCli(['lm', 'eval', join(LM, 'lm_dev'), '--tokens', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `bilinear: ${bad}: sequence 0, position 2: 9999 is not a token id of this model (0..767)\n`,
    );
  });
});

describe.skipIf(!HAS_FIXTURE)(`bilinear lm eval --corpus, generate and activations${skipped}`, () => {
  /** The fixture model as a complete HF folder: weights, config and its tokenizer. */
  function folder(): string {
    const path = join(directory.path, 'lm_dev_folder');
    mkdirSync(path, { recursive: true });
    for (const name of ['model.safetensors', 'config.json']) {
      writeFileSync(join(path, name), readFileSync(join(LM, 'lm_dev', name)));
    }
    writeFileSync(join(path, 'tokenizer.json'), readFileSync(join(LM, 'tokenizer.json')));
    return path;
  }

  it("scores a corpus through the folder's tokenizer, as --tokens would score its windows", () => {
    const model = folder();
    const corpus = join(LM, 'corpus.txt');
    const result = json(['lm', 'eval', model, '--corpus', corpus, '--max-tokens', '480', '--json']);
    expect(result.tokens).toBe(10 * 47);
    expect(result.loss).toBeGreaterThan(0);
    expect(result.loss).toBeLessThan(Math.log(768));
    const neither = runCli(['lm', 'eval', model]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('--tokens <ids.json> or --corpus <file>');
  });

  it('generates the same text for the same seed; temperature 0 is greedy whatever the seed', () => {
    const model = folder();
    const run = (seed: string, temperature = '1') =>
      json([
        'lm',
        'generate',
        model,
        '--prompt',
        'the license',
        '--tokens',
        '8',
        '--seed',
        seed,
        '--temperature',
        temperature,
        '--json',
      ]);
    const a = run('3');
    expect(a.prompt).toBe('the license');
    expect(a.ids).toHaveLength(8);
    expect(a.text.startsWith('the license')).toBe(true);
    expect(run('3')).toEqual(a);
    expect(run('1', '0')).toEqual(run('2', '0'));
  });

  it('lists the contexts that activate a direction, an SAE feature or one eigenvector most', () => {
    const model = folder();
    const corpus = join(LM, 'corpus.txt');
    const common = [
      'lm',
      'activations',
      model,
      '--layer',
      '1',
      '--corpus',
      corpus,
      '--max-tokens',
      '960',
      '--top',
      '4',
      '--json',
    ];
    for (const extra of [
      ['--output', '99'],
      ['--sae-out', join(LM, 'sae_l1_mlp_out'), '--feature', '77'],
      ['--output', '99', '--eigenvector', '0'],
    ]) {
      const result = json([...common, ...extra]);
      expect(result.positions).toBe(960);
      expect(result.contexts).toHaveLength(4);
      const values = result.contexts.map((context: { value: number }) => context.value);
      expect(values).toEqual([...values].sort((a: number, b: number) => b - a));
      const first = result.contexts[0];
      expect(first.text).toHaveLength(first.tokens.length);
      expect(first.values[first.focus]).toBe(first.value);
    }
    const wrongLayer = runCli([
      ...common.slice(0, 3),
      '--layer',
      '0',
      '--corpus',
      corpus,
      '--sae-out',
      join(LM, 'sae_l1_mlp_out'),
      '--feature',
      '1',
    ]);
    expect(wrongLayer.code).toBe(2);
    expect(wrongLayer.stderr).toContain('the SAE was trained on layer 1');
  });
});

describe.skipIf(!HAS_FIXTURE)(`bilinear sae eval${skipped}`, () => {
  it("reports MSE and loss recovered at the hook point its config names; the clean loss is lm eval's", () => {
    const tokens = join(LM, 'held_out_tokens.json');
    const result = json([
      'sae',
      'eval',
      join(LM, 'lm_dev'),
      '--sae',
      join(LM, 'sae_l1_mlp_out'),
      '--tokens',
      tokens,
      '--json',
    ]);
    expect(result).toMatchObject({ layer: 1, point: 'mlp-out', positions: 192, mean_active: 16 });
    expect(result.loss_clean).toBe(reference().held_out_loss);
    expect(result.loss_recovered).toBeCloseTo(
      (result.loss_zero_ablated - result.loss_spliced) / (result.loss_zero_ablated - result.loss_clean),
      12,
    );
    const missing = runCli(['sae', 'eval', join(LM, 'lm_dev'), '--sae', join(LM, 'sae_l1_mlp_out')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--tokens <ids.json> or --corpus <file>');
  });
});

describe.skipIf(!HAS_FIXTURE)(`bilinear decompose on an HF model folder${skipped}`, () => {
  it("token ids: the eigenvalues PyTorch computed, exact on the model's own MLP inputs, with top tokens", () => {
    const ref = reference();
    const tokens = Object.keys(ref.token_directions);
    const result = json([
      'decompose',
      join(LM, 'lm_dev'),
      '--layer',
      '1',
      '--outputs',
      tokens.join(','),
      '--top-k',
      '2',
      '--json',
    ]);
    for (const output of result.outputs)
      expectEnds(output.eigenvalues, ref.token_directions[String(output.index)] as Ends);
    expect(result.exactness).toMatchObject({ against: 'file', passed: true });
    const pair = result.outputs[0].top_positive[0];
    expect(pair.top_tokens).toHaveLength(10);
    expect(pair.bottom_tokens).toHaveLength(10);
    const weights = pair.top_tokens.map((entry: { weight: number }) => entry.weight);
    expect(weights).toEqual([...weights].sort((a: number, b: number) => b - a));
    expect(pair.top_tokens[0].weight).toBe(Math.max(...pair.vector_input));
  });

  it('--sae-out --features, and with --sae-in the DᵀQD feature basis: the reference eigenvalues', () => {
    const ref = reference();
    const features = Object.keys(ref.sae_out_features).join(',');
    const common = [
      'decompose',
      join(LM, 'lm_dev'),
      '--sae-out',
      join(LM, 'sae_l1_mlp_out'),
      '--features',
      features,
      '--top-k',
      '2',
      '--json',
    ];
    const out = json(common);
    expect(out.model).toMatchObject({ decomposed_layer: 1, directions: 'sae features' });
    for (const output of out.outputs)
      expectEnds(output.eigenvalues, ref.sae_out_features[String(output.index)] as Ends);
    const basis = json([...common, '--sae-in', join(LM, 'sae_l1_mlp_in')]);
    for (const output of basis.outputs) {
      expect(output.eigenvalues).toHaveLength(192);
      expectEnds(output.eigenvalues, ref.sae_in_out_features_DtQD[String(output.index)] as Ends);
      expect(output.top_positive[0].top_features).toHaveLength(10);
    }
    expect(basis.exactness.passed).toBe(true);
  });

  it('--vector: a .npy of vectors in the residual stream; a layer the SAE was not trained on is an error', () => {
    const d = 48;
    const path = join(directory.path, 'vectors.npy');
    writeFileSync(
      path,
      encodeNpy(
        Float64Array.from({ length: 2 * d }, (_, i) => Math.sin(i)),
        [2, d],
      ),
    );
    const result = json([
      'decompose',
      join(LM, 'lm_dev'),
      '--layer',
      '0',
      '--vector',
      path,
      '--top-k',
      '1',
      '--json',
    ]);
    expect(result.outputs.map((output: { label: string }) => output.label)).toEqual(['vector 0', 'vector 1']);
    expect(result.exactness.passed).toBe(true);
    const wrongLayer = runCli([
      'decompose',
      join(LM, 'lm_dev'),
      '--layer',
      '0',
      '--sae-out',
      join(LM, 'sae_l1_mlp_out'),
      '--features',
      '1',
    ]);
    expect(wrongLayer.code).toBe(2);
    expect(wrongLayer.stderr).toContain('the SAE was trained on layer 1, but --layer 0 was asked for');
    const wrongPoint = runCli([
      'decompose',
      join(LM, 'lm_dev'),
      '--sae-out',
      join(LM, 'sae_l1_mlp_in'),
      '--features',
      '1',
    ]);
    expect(wrongPoint.code).toBe(2);
    expect(wrongPoint.stderr).toContain(
      '--sae-out takes an SAE on the mlp-out hook point; this one reads mlp-in',
    );
  });
});

describe('bilinear decompose: language-model flags that do not fit', () => {
  const lm = () =>
    writeModel(
      join(directory.path, 'mlp-only.safetensors'),
      languageModelTensors({ vocab: 20, d: 8, hidden: 10, layers: 2 }),
    );

  it('one way of choosing directions, each with its partner flag', () => {
    const path = lm();
    const cases: [string[], string][] = [
      [['--outputs', '1', '--vector', 'x.npy'], '--outputs and --vector each choose the directions'],
      [['--features', '1'], '--features goes with --sae-out'],
      [['--outputs', '1', '--comparison', '2'], ''],
    ];
    for (const [flags, message] of cases) {
      const run = runCli(['decompose', path, ...flags]);
      if (message === '') {
        expect(run.code, run.stderr).toBe(0);
      } else {
        expect(run.code).toBe(2);
        expect(run.stderr).toContain(message);
      }
    }
    const vector = join(directory.path, 'wrong.npy');
    writeFileSync(vector, encodeNpy(Float64Array.from([1, 2, 3]), [3]));
    const wrong = runCli(['decompose', path, '--vector', vector]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('shape (3) is not (8,) or (m, 8)');
  });

  it('a folder without model.safetensors, and SAE flags on an image classifier', () => {
    const empty = join(directory.path, 'empty-folder');
    mkdirSync(empty);
    const run = runCli(['decompose', empty]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('a folder without model.safetensors');
  });
});
