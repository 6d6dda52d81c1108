// SAEs and language-model measurements as jobs, through HTTP only (the built API and real workers on
// real Postgres and Redis), with the PyTorch fixture lm_dev imported as parts: a tiny TopK SAE trained
// on a few stories (MSE per step live, measured at the end, stored in the official layout and usable
// as a decomposition's saeOut), cancelled, and finished by a second worker after the first is killed;
// the fixture SAE and the model measured on a corpus — each figure equal to the core's on the same
// windows (the core's loss equals PyTorch's held-out loss, checked here too); text sampled
// deterministically per seed; the requests' mistakes answered with 4xx naming the field.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeTensor,
  importModel,
  importSparseAutoencoder,
  type LanguageModel,
  languageModelLoss,
  parseSafetensors,
  saeQuality,
  sampleTokens,
} from '@bilinear-lab/core';
import { datasetDocuments, loadTokenizer, parseLanguageModelDataset, tokenWindows } from '@bilinear-lab/text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, collectEvents, type Platform, REPO, startPlatform, waitForJob } from './harness.js';

const LM = join(REPO, '..', 'shared', 'fixtures', 'lm');
const present = existsSync(join(LM, 'lm_dev', 'model.safetensors'));

/** A few seconds of training on 2 cores. */
const TINY_SAE = {
  layer: 1,
  point: 'mlp-out',
  expansion: 2,
  k: 8,
  dataset: 'stories:60',
  maxTokens: 4000,
  batchSize: 128,
  steps: 80,
  learningRate: 3e-3,
  evalTokens: 480,
  seed: 7,
};

function file(path: string, name: string): [Blob, string] {
  return [new Blob([readFileSync(path)]), name];
}

/** lm_dev as the core reads it (the platform's numbers are compared with the core's on the same windows). */
function coreModel(): LanguageModel {
  const model = importModel(parseSafetensors(readFileSync(join(LM, 'lm_dev', 'model.safetensors'))), {
    config: JSON.parse(readFileSync(join(LM, 'lm_dev', 'config.json'), 'utf8')),
  });
  if (model.layout !== 'language-model') throw new Error('lm_dev is not a language model');
  return model;
}

const tokenizer = () => loadTokenizer(readFileSync(join(LM, 'tokenizer.json'), 'utf8'), 'tokenizer.json');

/** The windows a job reads from `spec`: the text package's tokenWindows over the corpus's documents. */
async function windowsOf(spec: string, maxTokens: number): Promise<number[][]> {
  return tokenWindows(datasetDocuments(parseLanguageModelDataset(spec)), tokenizer(), 48, maxTokens);
}

async function importLanguageModel(api: ReturnType<typeof client>, projectId: string): Promise<string> {
  const form = new FormData();
  form.append('file', ...file(join(LM, 'lm_dev', 'model.safetensors'), 'model.safetensors'));
  form.append('config', ...file(join(LM, 'lm_dev', 'config.json'), 'config.json'));
  form.append('tokenizer', ...file(join(LM, 'tokenizer.json'), 'tokenizer.json'));
  const imported = await api.post(`/api/v1/projects/${projectId}/models/import`, form);
  expect(imported.status, JSON.stringify(imported.body)).toBe(201);
  return String(imported.body.modelId);
}

describe.skipIf(!present)(
  'SAE and language-model jobs (skipped: ../shared/fixtures/lm is absent here)',
  () => {
    let platform: Platform;
    let api: ReturnType<typeof client>;
    let modelId: string;
    let fixtureSaeId: string;

    beforeAll(async () => {
      platform = await startPlatform();
      api = client(platform);
      const project = await api.post('/api/v1/projects', { name: 'sae jobs' });
      modelId = await importLanguageModel(api, String(project.body.id));
      const form = new FormData();
      form.append('file', ...file(join(LM, 'sae_l1_mlp_out', 'model.safetensors'), 'model.safetensors'));
      form.append('config', ...file(join(LM, 'sae_l1_mlp_out', 'config.json'), 'config.json'));
      const sae = await api.post(`/api/v1/models/${modelId}/saes/import`, form);
      expect(sae.status, JSON.stringify(sae.body)).toBe(201);
      fixtureSaeId = String(sae.body.id);
    }, 60_000);

    afterAll(async () => {
      await platform?.stop();
    }, 30_000);

    it('trains a TopK SAE on a few stories: MSE live per step, measured at the end, stored in the official layout, decomposable', async () => {
      const queued = await api.post(`/api/v1/models/${modelId}/saes/train`, TINY_SAE);
      expect(queued.status, JSON.stringify(queued.body)).toBe(201);
      expect(queued.body).toMatchObject({ status: 'queued' });
      const { saeId, jobId } = queued.body as { saeId: string; jobId: string };
      const listed = await api.get(`/api/v1/models/${modelId}/saes`);
      expect(
        (listed.body as unknown as { id: string; source: string }[]).find((s) => s.id === saeId),
      ).toMatchObject({
        source: 'trained',
        features: 96,
        k: 8,
        layer: 1,
        hookPoint: 'mlp-out',
      });

      const events = await collectEvents(platform, jobId, 240_000);
      const steps = events
        .map(
          (event) =>
            event.data as { type: string; kind?: string; step: number; loss: number; totalSteps: number },
        )
        .filter((event) => event.type === 'metrics' && event.kind === 'step');
      expect(steps.map((event) => event.step)).toEqual(
        Array.from({ length: TINY_SAE.steps }, (_, i) => i + 1),
      );
      expect(steps.every((event) => event.totalSteps === TINY_SAE.steps && Number.isFinite(event.loss))).toBe(
        true,
      );
      const mean = (part: typeof steps) => part.reduce((sum, event) => sum + event.loss, 0) / part.length;
      const first = mean(steps.slice(0, 10));
      const last = mean(steps.slice(-10));
      expect(last).toBeLessThan(first);
      const job = await waitForJob(api, jobId);
      expect(job.status, platform.logs()).toBe('completed');

      const sae = await api.get(`/api/v1/saes/${saeId}`);
      expect(sae.status).toBe(200);
      expect(sae.body).toMatchObject({ status: 'completed', source: 'trained', hasCheckpoint: true, jobId });
      expect(sae.body.config).toMatchObject({
        d_model: 48,
        n_features: 96,
        k: 8,
        layer: 1,
        point: 'mlp-out',
      });
      const metrics = sae.body.metrics as Record<string, number | string>;
      expect(metrics).toMatchObject({ dataset: TINY_SAE.dataset, layer: 1, point: 'mlp-out' });
      expect(metrics.tokens as number).toBeGreaterThanOrEqual(TINY_SAE.evalTokens);
      expect(metrics.mse as number).toBeGreaterThan(0);
      expect(metrics.explainedVariance as number).toBeLessThan(1);
      expect(metrics.lossRecovered as number).toBeGreaterThan(0);
      console.info(
        `[sae train] ${TINY_SAE.steps} steps: batch MSE ${first.toPrecision(3)} → ${last.toPrecision(3)}; held out ${metrics.tokens} positions: MSE ${(metrics.mse as number).toPrecision(4)}, explained variance ${(metrics.explainedVariance as number).toFixed(3)}, loss recovered ${(metrics.lossRecovered as number).toFixed(3)}`,
      );

      // The checkpoint is the official layout, and the measures are the core's on the held-out end of the text.
      const checkpoint = await api.raw(`/api/v1/saes/${saeId}/checkpoint`);
      expect(checkpoint.status).toBe(200);
      const weights = parseSafetensors(new Uint8Array(await checkpoint.arrayBuffer()));
      expect(weights.tensors.get('w_enc.weight')?.shape).toEqual([96, 48]);
      expect(weights.tensors.get('w_dec.weight')?.shape).toEqual([48, 96]);
      expect(weights.tensors.get('b_dec')?.shape).toEqual([48]);
      const decoder = decodeTensor(weights, 'w_dec.weight');
      for (const f of [0, 50, 95]) {
        let norm = 0;
        for (let i = 0; i < 48; i++) norm += (decoder[i * 96 + f] as number) ** 2;
        expect(Math.abs(Math.sqrt(norm) - 1)).toBeLessThan(1e-5);
      }
      const windows = await windowsOf(TINY_SAE.dataset, TINY_SAE.maxTokens);
      let held = 0;
      let cut = windows.length;
      while (held < TINY_SAE.evalTokens) held += (windows[--cut] as number[]).length;
      const written = importSparseAutoencoder(weights, { config: sae.body.config });
      const quality = saeQuality(coreModel(), written, windows.slice(cut), { layer: 1, point: 'mlp-out' });
      expect(quality.positions).toBe(metrics.tokens);
      expect(Math.abs(quality.mse - (metrics.mse as number))).toBeLessThan(1e-12 * quality.mse);
      expect(Math.abs(quality.lossRecovered - (metrics.lossRecovered as number))).toBeLessThan(1e-9);

      // As an output SAE of a decomposition, like an imported one.
      const decomposition = await api.post(`/api/v1/models/${modelId}/decompositions`, {
        topK: 4,
        layer: 1,
        saeOut: saeId,
        features: [0, 7, 95],
      });
      expect(decomposition.status, JSON.stringify(decomposition.body)).toBe(202);
      const decomposed = await waitForJob(api, String(decomposition.body.jobId), 120_000);
      expect(decomposed.status, platform.logs()).toBe('completed');
      const stored = await api.get(`/api/v1/decompositions/${decomposition.body.decompositionId}`);
      const outputs = stored.body.outputs as { index: number; eigenvalues: number[] }[];
      expect(outputs.map((output) => output.index)).toEqual([0, 7, 95]);
      for (const output of outputs) expect(output.eigenvalues).toHaveLength(48);
    }, 300_000);

    it("evaluates the fixture SAE on a corpus: the core's MSE, explained variance and loss recovered on the same windows", async () => {
      const queued = await api.post(`/api/v1/saes/${fixtureSaeId}/evaluate`, {
        dataset: 'stories:100',
        maxTokens: 9000,
      });
      expect(queued.status, JSON.stringify(queued.body)).toBe(202);
      const job = await waitForJob(api, String(queued.body.jobId), 120_000);
      expect(job.status, platform.logs()).toBe('completed');
      const sae = await api.get(`/api/v1/saes/${fixtureSaeId}`);
      expect(sae.body.status).toBe('completed');
      const metrics = sae.body.metrics as Record<string, number | string>;
      expect(metrics).toMatchObject({ dataset: 'stories:100', layer: 1, point: 'mlp-out' });

      const windows = await windowsOf('stories:100', 9000);
      const fixture = importSparseAutoencoder(
        parseSafetensors(readFileSync(join(LM, 'sae_l1_mlp_out', 'model.safetensors'))),
        { config: JSON.parse(readFileSync(join(LM, 'sae_l1_mlp_out', 'config.json'), 'utf8')) },
      );
      const quality = saeQuality(coreModel(), fixture, windows, { layer: 1, point: 'mlp-out' });
      expect(metrics.tokens).toBe(quality.positions);
      expect(quality.positions).toBeGreaterThanOrEqual(9000);
      expect(Math.abs((metrics.mse as number) - quality.mse)).toBeLessThan(1e-12 * quality.mse);
      expect(Math.abs((metrics.explainedVariance as number) - quality.explainedVariance)).toBeLessThan(1e-12);
      expect(Math.abs((metrics.lossRecovered as number) - quality.lossRecovered)).toBeLessThan(1e-9);
      // And numpy's, computed from the official architecture by a script that shares nothing with the project.
      const numpy = spawnSync(
        'python3',
        [
          join(REPO, 'tests', 'platform', 'sae_mse_numpy.py'),
          join(LM, 'lm_dev'),
          join(LM, 'sae_l1_mlp_out'),
          '1',
        ],
        { input: JSON.stringify({ windows }), encoding: 'utf8' },
      );
      if (numpy.status === 0) {
        const independent = JSON.parse(numpy.stdout) as { mse: number; positions: number };
        expect(independent.positions).toBe(metrics.tokens);
        expect(Math.abs(independent.mse - (metrics.mse as number))).toBeLessThan(1e-6 * independent.mse);
        console.info(`[sae eval] numpy's MSE ${independent.mse} vs the platform's ${metrics.mse}`);
      } else {
        console.warn(
          `[sae eval] numpy's check skipped (python3 with numpy is needed): ${numpy.stderr ?? numpy.error}`,
        );
      }
      console.info(
        `[sae eval] fixture SAE on ${quality.positions} positions of stories:100: MSE ${quality.mse.toPrecision(4)}, explained variance ${quality.explainedVariance.toFixed(4)}, loss recovered ${quality.lossRecovered.toFixed(4)}`,
      );
    }, 180_000);

    it("evaluates the model's held-out loss on a corpus: the core's on the same windows (and the core's is PyTorch's)", async () => {
      const reference = JSON.parse(readFileSync(join(LM, 'lm_dev.reference.json'), 'utf8')) as {
        held_out_tokens: number[][];
        held_out_loss: number;
      };
      const model = coreModel();
      const core = languageModelLoss(model, reference.held_out_tokens);
      expect(Math.abs(core.loss - reference.held_out_loss)).toBeLessThan(1e-5);

      const queued = await api.post(`/api/v1/models/${modelId}/evaluate`, {
        dataset: 'stories:100',
        maxTokens: 9000,
      });
      expect(queued.status, JSON.stringify(queued.body)).toBe(202);
      const job = await waitForJob(api, String(queued.body.jobId), 120_000);
      expect(job.status, platform.logs()).toBe('completed');
      const stored = await api.get(`/api/v1/models/${modelId}`);
      const evaluation = (stored.body.metrics as { evaluation: Record<string, number | string> }).evaluation;
      const windows = await windowsOf('stories:100', 9000);
      expect(windows.flat().length).toBeGreaterThanOrEqual(9000); // more than one part of 4096 positions
      const expected = languageModelLoss(model, windows);
      expect(evaluation).toMatchObject({
        dataset: 'stories:100',
        tokens: expected.tokens,
        sequences: windows.length,
      });
      expect(Math.abs((evaluation.loss as number) - expected.loss)).toBeLessThan(1e-12);
      console.info(
        `[lm eval] lm_dev on ${expected.tokens} predicted tokens of stories:100: loss ${expected.loss.toFixed(4)} (PyTorch's held-out ${reference.held_out_loss.toFixed(4)}, the core's on held_out_tokens ${core.loss.toFixed(6)})`,
      );
    }, 120_000);

    it("samples text deterministically per seed, through the model's tokenizer, as the core does", async () => {
      const body = {
        prompt: 'Once upon a time, a little cat',
        tokens: 24,
        temperature: 0.9,
        topK: 40,
        seed: 11,
      };
      const first = await api.post(`/api/v1/models/${modelId}/generate`, body);
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      const again = await api.post(`/api/v1/models/${modelId}/generate`, body);
      expect(again.body).toEqual(first.body);
      const ids = first.body.ids as number[];
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.length).toBeLessThanOrEqual(24);

      const words = tokenizer();
      const prompt = Array.from((await words.encode(body.prompt)).ids);
      const expected = sampleTokens(coreModel(), prompt, {
        count: 24,
        temperature: 0.9,
        topK: 40,
        seed: 11,
        ...(words.special.eos === null ? {} : { stopToken: words.special.eos }),
      });
      expect(ids).toEqual(expected);
      expect(first.body.text).toBe(await words.decode([...prompt, ...ids]));
      expect(String(first.body.text).startsWith('once upon a time')).toBe(true);

      const greedy = await api.post(`/api/v1/models/${modelId}/generate`, {
        ...body,
        temperature: 0,
        seed: 1,
      });
      const greedyAgain = await api.post(`/api/v1/models/${modelId}/generate`, {
        ...body,
        temperature: 0,
        seed: 2,
      });
      expect(greedy.body.ids).toEqual(greedyAgain.body.ids);
      console.info(`[generate] ${first.body.text}`);
    }, 60_000);

    it('refuses what it cannot do with 400/404/409/422 naming the field', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      // The same weights without a tokenizer: no text can go through it.
      const bare = new FormData();
      bare.append('file', ...file(join(LM, 'lm_dev', 'model.safetensors'), 'model.safetensors'));
      bare.append('config', ...file(join(LM, 'lm_dev', 'config.json'), 'config.json'));
      const sae = await api.get(`/api/v1/saes/${fixtureSaeId}`);
      const imported = await api.post(`/api/v1/projects/${sae.body.projectId}/models/import`, bare);
      expect(imported.status, JSON.stringify(imported.body)).toBe(201);
      const untokenized = String(imported.body.modelId);
      for (const path of ['saes/train', 'evaluate', 'generate']) {
        const body = path === 'generate' ? { prompt: 'a' } : path === 'evaluate' ? {} : TINY_SAE;
        const answer = await api.post(`/api/v1/models/${untokenized}/${path}`, body);
        expect(answer.status, JSON.stringify(answer.body)).toBe(422);
        expect(answer.body.error).toMatchObject({ code: 'no-tokenizer' });
      }
      // An SAE still training cannot be evaluated yet.
      const training = await api.post(`/api/v1/models/${modelId}/saes/train`, {
        ...TINY_SAE,
        steps: 1_000_000,
      });
      const early = await api.post(`/api/v1/saes/${training.body.saeId}/evaluate`, {});
      expect(early.status, JSON.stringify(early.body)).toBe(409);
      expect(early.body.error).toMatchObject({ code: 'not-ready' });
      await api.post(`/api/v1/jobs/${training.body.jobId}/cancel`);
      expect((await waitForJob(api, String(training.body.jobId), 60_000)).status).toBe('cancelled');
      const cases: [string, unknown, number, RegExp][] = [
        [
          `/api/v1/models/${modelId}/saes/train`,
          { ...TINY_SAE, layer: 2 },
          400,
          /body\.layer: .*layers 0\.\.1/,
        ],
        [
          `/api/v1/models/${modelId}/saes/train`,
          { ...TINY_SAE, expansion: undefined },
          400,
          /features or expansion/,
        ],
        [
          `/api/v1/models/${modelId}/saes/train`,
          { ...TINY_SAE, expansion: 1, k: 49 },
          400,
          /body\.k: .*48 features/,
        ],
        [`/api/v1/models/${modelId}/saes/train`, { ...TINY_SAE, dataset: 'mnist' }, 400, /dataset/],
        [`/api/v1/models/${modelId}/saes/train`, { ...TINY_SAE, point: 'attn' }, 400, /point/],
        [
          `/api/v1/models/${modelId}/saes/train`,
          { ...TINY_SAE, bufferRows: 1 << 24 },
          400,
          /body\.bufferRows: .*MiB/,
        ],
        [`/api/v1/models/${missing}/saes/train`, TINY_SAE, 404, /model/],
        [`/api/v1/saes/${missing}/evaluate`, {}, 404, /SAE/],
        [`/api/v1/models/${modelId}/evaluate`, { maxTokens: 1 }, 400, /maxTokens/],
        [`/api/v1/models/${modelId}/generate`, { prompt: 'a', tokens: 10_000 }, 400, /tokens/],
        [`/api/v1/models/${modelId}/generate`, { prompt: '' }, 400, /prompt/],
        [`/api/v1/models/${missing}/generate`, { prompt: 'a' }, 404, /model/],
      ];
      for (const [path, body, status, message] of cases) {
        const answer = await api.post(path, body);
        expect(answer.status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`).toBe(status);
        expect((answer.body.error as { message: string }).message).toMatch(message);
      }
    });

    it('cancels a training run: the job and the SAE end cancelled', async () => {
      const queued = await api.post(`/api/v1/models/${modelId}/saes/train`, {
        ...TINY_SAE,
        steps: 1_000_000,
      });
      expect(queued.status, JSON.stringify(queued.body)).toBe(201);
      const jobId = String(queued.body.jobId);
      const deadline = Date.now() + 60_000;
      while ((await api.get(`/api/v1/jobs/${jobId}`)).body.progress === 0) {
        if (Date.now() > deadline) throw new Error(`the run did not start:\n${platform.logs()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const cancel = await api.post(`/api/v1/jobs/${jobId}/cancel`);
      expect(cancel.status, JSON.stringify(cancel.body)).toBe(202);
      const job = await waitForJob(api, jobId, 60_000);
      expect(job.status).toBe('cancelled');
      const sae = await api.get(`/api/v1/saes/${queued.body.saeId}`);
      expect(sae.body).toMatchObject({ status: 'cancelled', hasCheckpoint: false, metrics: null });
    }, 120_000);
  },
);

describe.skipIf(!present)(
  'a train-sae job whose worker dies (skipped: ../shared/fixtures/lm is absent)',
  () => {
    let platform: Platform;

    afterAll(async () => {
      await platform?.stop();
    }, 30_000);

    it('is trained again from the start by another worker and completes once', async () => {
      platform = await startPlatform({ workers: 0 });
      const api = client(platform);
      const project = await api.post('/api/v1/projects', { name: 'sae crash' });
      const modelId = await importLanguageModel(api, String(project.body.id));
      const first = platform.startWorker();
      const queued = await api.post(`/api/v1/models/${modelId}/saes/train`, { ...TINY_SAE, steps: 400 });
      expect(queued.status, JSON.stringify(queued.body)).toBe(201);
      const jobId = String(queued.body.jobId);
      const deadline = Date.now() + 120_000;
      while (((await api.get(`/api/v1/jobs/${jobId}`)).body.progress as number) < 0.2) {
        if (Date.now() > deadline) throw new Error(`the run did not get going:\n${platform.logs()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      platform.startWorker();
      const job = await waitForJob(api, jobId, 240_000);
      expect(job.status, platform.logs()).toBe('completed');
      expect(job.attempts).toBe(2);
      const sae = await api.get(`/api/v1/saes/${queued.body.saeId}`);
      expect(sae.body).toMatchObject({ status: 'completed', hasCheckpoint: true });
      expect((sae.body.metrics as { training: { steps: number } }).training.steps).toBe(400);
      const steps = (await collectEvents(platform, jobId))
        .map((event) => event.data as { type: string; kind?: string; step: number })
        .filter((event) => event.type === 'metrics' && event.kind === 'step');
      // The second attempt ran every step again, after the first attempt's.
      expect(steps.filter((event) => event.step === 1)).toHaveLength(2);
      expect(steps.at(-1)?.step).toBe(400);
    }, 300_000);
  },
);
