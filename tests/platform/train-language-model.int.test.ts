// Training a language model on the platform, through HTTP only (the built API and real workers on
// real Postgres and Redis): a tiny bilinear transformer trained on the bundled stories, its loss
// watched falling live over SSE and in the metric rows, its HF folder stored and decomposed along
// token directions; the request's mistakes answered with 400s naming the field; and a worker
// SIGKILLed after the first checkpoint, whose run another worker continues from that checkpoint.

import type { ChildProcess } from 'node:child_process';
import { parseSafetensors } from '@bilinear-lab/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { client, collectEvents, type Platform, startPlatform, waitForJob } from './harness.js';

/** A run of a few seconds on 2 cores (long enough to be seen running): ln(128) ≈ 4.85 nats per token at first. */
const TINY = {
  layers: 1,
  dModel: 16,
  heads: 2,
  dHidden: 32,
  ctx: 16,
  batchSize: 8,
  steps: 200,
  vocab: 128,
  learningRate: 0.01,
  warmupSteps: 5,
};
const DATASET = 'stories:400';

interface StepEvent {
  type: 'metrics';
  kind: string;
  step: number;
  totalSteps: number;
  loss: number;
  learningRate: number;
  tokensPerSecond?: number;
}

interface Metric {
  kind: string;
  step: number;
  loss: number;
  learningRate: number;
  tokensPerSecond?: number;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

let platform: Platform;
let api: ReturnType<typeof client>;
let projectId: string;

beforeAll(async () => {
  platform = await startPlatform({ workers: 0 });
  api = client(platform);
  const project = await api.post('/api/v1/projects', { name: 'language-model training' });
  expect(project.status).toBe(201);
  projectId = String(project.body.id);
}, 60_000);

/** Each test's workers: stopped after it, so that no worker of one test takes the next one's job. */
const workers: ChildProcess[] = [];
function startWorker(): ChildProcess {
  const worker = platform.startWorker();
  workers.push(worker);
  return worker;
}

afterEach(async () => {
  await Promise.all(
    workers.splice(0).map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.exitCode !== null || worker.signalCode !== null) return resolve();
          worker.once('exit', () => resolve());
          worker.kill('SIGTERM');
        }),
    ),
  );
}, 30_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

function train(body: Record<string, unknown>) {
  return api.post(`/api/v1/projects/${projectId}/models/train-language-model`, body);
}

describe('the request', () => {
  it.each([
    [{ config: { ...TINY, heads: 3 } }, 'body.config.heads', /3 heads do not divide d_model 16/],
    [{ config: { ...TINY, dModel: 12, heads: 4 } }, 'body.config.heads', /d_head 3 is odd/],
    [
      { config: { ...TINY, warmupSteps: 200 } },
      'body.config.warmupSteps',
      /not fewer than the 200 optimiser steps/,
    ],
    [{ config: { ...TINY, ctx: 1 } }, 'body.config.ctx', /2/],
    [{ config: { ...TINY, steps: 0 } }, 'body.config.steps', /1/],
    [{ config: { ...TINY, layers: undefined } }, 'body.config.layers', /./],
    [{ config: { ...TINY, colour: 'red' } }, 'body.config', /colour/],
    [{ config: { ...TINY, tokenizer: crypto.randomUUID() } }, 'body.config.tokenizer', /not both/],
    [
      { config: { ...TINY, vocab: undefined, tokenizer: '00000000-0000-4000-8000-000000000000' } },
      'body.config.tokenizer',
      /no model 00000000-0000-4000-8000-000000000000 in project/,
    ],
    [{ dataset: 'mnist', config: TINY }, 'body.dataset', /stories/],
    [{ dataset: 'stories:0', config: TINY }, 'body.dataset', /stories/],
  ])('refuses %j with a 400 naming %s', async (body, path, message) => {
    const answer = await train(body as Record<string, unknown>);
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    const text = JSON.stringify(answer.body);
    expect(text).toContain(path);
    expect(String((answer.body.error as { message?: unknown }).message)).toMatch(message);
  });

  it('creates nothing for a refused request', async () => {
    await train({ config: { ...TINY, heads: 3 } });
    const models = await api.get(`/api/v1/projects/${projectId}/models`);
    expect(models.body).toEqual([]);
  });
});

describe('a tiny language model trained on the bundled stories', () => {
  it('streams its falling loss live, stores its HF folder, and decomposes token directions', async () => {
    startWorker();
    const queued = await train({
      dataset: DATASET,
      name: 'tiny-stories',
      config: { ...TINY, evalEvery: 100 },
    });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const modelId = String(queued.body.modelId);
    const jobId = String(queued.body.jobId);

    const queuedModel = await api.get(`/api/v1/models/${modelId}`);
    expect(queuedModel.body.config).toMatchObject({ kind: 'language-model', modelDim: 16, layers: 1 });

    const streamed = collectEvents(platform, jobId, 180_000);
    // Metric rows appear while the job runs, not only at its end.
    let liveRows = 0;
    const deadline = Date.now() + 180_000;
    for (;;) {
      const job = await api.get(`/api/v1/jobs/${jobId}`);
      const rows = await api.get(`/api/v1/models/${modelId}/metrics?kind=step`);
      if (job.body.status === 'running' && (rows.body as unknown as Metric[]).length > 0) {
        liveRows = (rows.body as unknown as Metric[]).length;
        break;
      }
      if (['completed', 'failed', 'cancelled'].includes(String(job.body.status))) break;
      if (Date.now() > deadline) throw new Error(`no metric rows in 180 s:\n${platform.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(liveRows, 'step rows stored while the job was running').toBeGreaterThan(0);
    expect(liveRows).toBeLessThan(TINY.steps);

    const job = await waitForJob(api, jobId, 180_000);
    expect(job.status, `${JSON.stringify(job)}\n${platform.logs()}`).toBe('completed');
    const events = await streamed;
    const steps = events
      .map((event) => event.data as StepEvent)
      .filter((data) => data.type === 'metrics' && data.kind === 'step');
    expect(steps.map((step) => step.step)).toEqual(Array.from({ length: TINY.steps }, (_, i) => i + 1));
    for (const step of steps) {
      expect(step.totalSteps).toBe(TINY.steps);
      expect(step.tokensPerSecond).toBeGreaterThan(0);
    }
    const first = mean(steps.slice(0, 5).map((step) => step.loss));
    const last = mean(steps.slice(-5).map((step) => step.loss));
    expect(first).toBeGreaterThan(Math.log(TINY.vocab) - 0.5);
    expect(last, `loss ${first} → ${last}`).toBeLessThan(first - 0.5);

    const rows = (await api.get(`/api/v1/models/${modelId}/metrics?kind=step`)).body as unknown as Metric[];
    expect(rows.map((row) => row.step)).toEqual(steps.map((step) => step.step));
    rows.forEach((row, i) => {
      expect(row.loss).toBeCloseTo(steps[i]?.loss ?? Number.NaN, 12);
      expect(row.tokensPerSecond).toBeCloseTo(steps[i]?.tokensPerSecond ?? Number.NaN, 6);
    });

    const model = await api.get(`/api/v1/models/${modelId}`);
    expect(model.body.status).toBe('completed');
    // The held-out loss every evalEvery steps and at the end: evaluation rows and events.
    const evaluations = (await api.get(`/api/v1/models/${modelId}/metrics?kind=evaluation`))
      .body as unknown as (Metric & { testLoss: number })[];
    expect(evaluations.map((row) => row.step)).toEqual([100, 200]);
    expect(
      events
        .filter((event) => (event.data as StepEvent).kind === 'evaluation')
        .map((event) => (event.data as StepEvent).step),
    ).toEqual([100, 200]);
    const config = model.body.config as Record<string, unknown>;
    expect(config).toMatchObject({
      kind: 'language-model',
      vocabSize: TINY.vocab,
      modelDim: 16,
      hiddenDim: 32,
      layers: 1,
      heads: 2,
      context: 16,
      gate: 'none',
      fileConfig: { n_layer: 1, n_head: 2, d_model: 16, d_hidden: 32, n_ctx: 16, vocab_size: TINY.vocab },
      tokenizer: { vocabSize: TINY.vocab },
    });
    const metrics = model.body.metrics as Record<string, number>;
    expect(metrics.steps).toBe(TINY.steps);
    expect(metrics.validationLoss).toBeLessThan(first);
    expect(evaluations.at(-1)?.testLoss).toBeCloseTo(metrics.validationLoss ?? Number.NaN, 9);
    expect(metrics.tokensPerSecond).toBeGreaterThan(0);

    const checkpoint = await api.raw(`/api/v1/models/${modelId}/checkpoint`);
    expect(checkpoint.status).toBe(200);
    const file = parseSafetensors(new Uint8Array(await checkpoint.arrayBuffer()));
    expect(file.tensors.get('transformer.wte.weight')?.shape).toEqual([TINY.vocab, 16]);

    const decomposition = await api.post(`/api/v1/models/${modelId}/decompositions`, {
      outputs: [5, 40],
      layer: 0,
      topK: 4,
    });
    expect(decomposition.status, JSON.stringify(decomposition.body)).toBe(202);
    const decomposed = await waitForJob(api, String(decomposition.body.jobId), 120_000);
    expect(decomposed.status, `${JSON.stringify(decomposed)}\n${platform.logs()}`).toBe('completed');
    const stored = await api.get(`/api/v1/decompositions/${decomposition.body.decompositionId}`);
    const outputs = stored.body.outputs as { index: number; eigenvalues: number[] }[];
    expect(outputs.map((output) => output.index)).toEqual([5, 40]);
    for (const output of outputs) {
      expect(output.eigenvalues.length).toBeGreaterThan(0);
      expect(output.eigenvalues.every(Number.isFinite)).toBe(true);
    }
    // A second model reuses the first one's tokenizer instead of training its own.
    const reusing = await train({
      dataset: DATASET,
      config: { ...TINY, vocab: undefined, tokenizer: modelId, steps: 10, warmupSteps: 2 },
    });
    expect(reusing.status, JSON.stringify(reusing.body)).toBe(202);
    const reused = await waitForJob(api, String(reusing.body.jobId), 120_000);
    expect(reused.status, `${JSON.stringify(reused)}\n${platform.logs()}`).toBe('completed');
    const second = await api.get(`/api/v1/models/${reusing.body.modelId}`);
    const tokenizer = config.tokenizer as { sha256: string; artifactId: string };
    expect(
      (second.body.config as { tokenizer: { sha256: string; artifactId: string } }).tokenizer,
    ).toMatchObject({
      sha256: tokenizer.sha256,
      vocabSize: TINY.vocab,
    });

    console.log(
      `tiny LM on ${DATASET}: loss ${steps[0]?.loss.toFixed(3)} at step 1 → ${steps.at(-1)?.loss.toFixed(3)} at step ${TINY.steps} ` +
        `(mean of 5: ${first.toFixed(3)} → ${last.toFixed(3)}), held-out ${metrics.validationLoss?.toFixed(3)}, ` +
        `${Math.round(metrics.tokensPerSecond ?? 0)} tokens/s, ${metrics.seconds?.toFixed(1)} s; live rows at first look: ${liveRows}`,
    );
  }, 300_000);
});

describe('a worker killed mid-run', () => {
  it('leaves a checkpoint another worker continues from, not from step 0, to the same model', async () => {
    const steps = 400;
    const first = startWorker();
    const queued = await train({
      dataset: DATASET,
      config: { ...TINY, steps, warmupSteps: 10, checkpointEvery: 20 },
    });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const modelId = String(queued.body.modelId);
    const jobId = String(queued.body.jobId);

    const deadline = Date.now() + 180_000;
    let checkpointStep = 0;
    for (;;) {
      const model = await api.get(`/api/v1/models/${modelId}`);
      const checkpoint = (model.body.metrics as { checkpoint?: { step: number } } | null)?.checkpoint;
      if (checkpoint !== undefined) {
        checkpointStep = checkpoint.step;
        break;
      }
      if (Date.now() > deadline) throw new Error(`no checkpoint in 180 s:\n${platform.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect(checkpointStep).toBeGreaterThanOrEqual(20);
    expect(checkpointStep).toBeLessThan(steps);

    startWorker();
    const job = await waitForJob(api, jobId, 240_000);
    expect(job.status, `${JSON.stringify(job)}\n${platform.logs()}`).toBe('completed');
    expect(job.attempts, platform.logs()).toBeGreaterThanOrEqual(2);

    const events = (await collectEvents(platform, jobId)).map(
      (event) => event.data as Record<string, unknown>,
    );
    const restart = events.findLastIndex((event) => event.type === 'state' && event.status === 'running');
    const after = events.slice(restart);
    const resumed = after.find(
      (event) => event.type === 'log' && String(event.message).startsWith('resuming after step'),
    );
    expect(resumed?.message, JSON.stringify(after.slice(0, 5))).toMatch(/^resuming after step \d+$/);
    const resumedFrom = Number(/\d+/.exec(String(resumed?.message))?.[0]);
    expect(resumedFrom).toBeGreaterThanOrEqual(checkpointStep);
    const firstStep = after.find((event) => event.type === 'metrics' && event.kind === 'step');
    expect(firstStep?.step).toBe(resumedFrom + 1);

    // Every step stored exactly once, and the model says where it continued from.
    const rows = (await api.get(`/api/v1/models/${modelId}/metrics?kind=step`)).body as unknown as Metric[];
    expect(rows.map((row) => row.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    const model = await api.get(`/api/v1/models/${modelId}`);
    expect(model.body.metrics).toMatchObject({ steps, resumedFromStep: resumedFrom });
    expect((model.body.metrics as Record<string, unknown>).checkpoint).toBeUndefined();

    // The resumed run is the run an uninterrupted worker makes: the same losses, step for step.
    const whole = await train({
      dataset: DATASET,
      config: { ...TINY, steps, warmupSteps: 10, checkpointEvery: 20 },
    });
    const wholeJob = await waitForJob(api, String(whole.body.jobId), 240_000);
    expect(wholeJob.status, platform.logs()).toBe('completed');
    const wholeRows = (await api.get(`/api/v1/models/${whole.body.modelId}/metrics?kind=step`))
      .body as unknown as Metric[];
    expect(rows.map((row) => row.loss)).toEqual(wholeRows.map((row) => row.loss));
    const wholeModel = await api.get(`/api/v1/models/${whole.body.modelId}`);
    expect((model.body.metrics as { validationLoss: number }).validationLoss).toBe(
      (wholeModel.body.metrics as { validationLoss: number }).validationLoss,
    );
    console.log(
      `killed after the checkpoint at step ${checkpointStep}; attempt ${job.attempts} resumed after step ${resumedFrom}; ` +
        `held-out loss ${(model.body.metrics as { validationLoss: number }).validationLoss}, as an uninterrupted run's`,
    );
  }, 360_000);
});

describe('a cancelled run', () => {
  it('stops between steps and keeps no checkpoint', async () => {
    startWorker();
    const queued = await train({ dataset: DATASET, config: { ...TINY, steps: 5000, checkpointEvery: 10 } });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const modelId = String(queued.body.modelId);
    const jobId = String(queued.body.jobId);
    const deadline = Date.now() + 180_000;
    for (;;) {
      const model = await api.get(`/api/v1/models/${modelId}`);
      if ((model.body.metrics as { checkpoint?: unknown } | null)?.checkpoint !== undefined) break;
      if (Date.now() > deadline) throw new Error(`no checkpoint in 180 s:\n${platform.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const cancel = await api.post(`/api/v1/jobs/${jobId}/cancel`);
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(202);
    const job = await waitForJob(api, jobId, 60_000);
    expect(job.status, platform.logs()).toBe('cancelled');
    const model = await api.get(`/api/v1/models/${modelId}`);
    expect(model.body).toMatchObject({ status: 'cancelled', metrics: null });
    const rows = (await api.get(`/api/v1/models/${modelId}/metrics?kind=step`)).body as unknown as Metric[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(5000);
  }, 240_000);
});
