// Two workers share one decomposition of every token: the API queues a decompose-shard job beside
// the decompose job, the two claim shards of 256 tokens, and every token is stored exactly once with
// the eigenvalues a single process computes. Then the worker running the helper is SIGKILLed: its
// claim lapses and the other worker finishes the shard. Real processes, Postgres and Redis.

import type { ChildProcess } from 'node:child_process';
import { decomposeFile, parseSafetensors } from '@bilinear-lab/core';
import { randomLanguageModelFolder } from '@bilinear-lab/core/testing';
import { openDatabase } from '@bilinear-lab/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, DATABASE_URL, type Platform, startPlatform, waitForJob } from './harness.js';

const VOCAB = 1024;
const SHARDS = VOCAB / 256;

let platform: Platform;
let api: ReturnType<typeof client>;
let db: ReturnType<typeof openDatabase>;

beforeAll(async () => {
  platform = await startPlatform({ workers: 0 });
  api = client(platform);
  db = openDatabase({ url: DATABASE_URL, schema: platform.schema.schema, maxConnections: 2 });
}, 60_000);

afterAll(async () => {
  await db?.$disconnect();
  await platform?.stop();
}, 30_000);

/** Two workers of one thread each, as on two hosts; resolves once both are registered and alive. */
async function twoWorkers(): Promise<ChildProcess[]> {
  const workers = [0, 1].map(() => platform.startWorker({ BILINEAR_WORKER_DECOMPOSE_THREADS: '1' }));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await api.get('/api/v1/workers');
    const alive = (body as { alive: boolean; pid: number }[]).filter((worker) => worker.alive);
    if (workers.every((child) => alive.some((worker) => worker.pid === child.pid))) return workers;
    if (Date.now() > deadline) throw new Error(`the workers did not register:\n${platform.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function importModel(name: string, seed: number) {
  const project = await api.post('/api/v1/projects', { name });
  const lm = randomLanguageModelFolder({ vocab: VOCAB, d: 64, hidden: 128, layers: 1 }, seed);
  const form = new FormData();
  form.append('file', new Blob([lm.weights]), 'model.safetensors');
  form.append('config', new Blob([JSON.stringify(lm.config)]), 'config.json');
  const imported = await api.post(`/api/v1/projects/${project.body.id}/models/import`, form);
  expect(imported.status, JSON.stringify(imported.body)).toBe(201);
  return { modelId: String(imported.body.modelId), lm };
}

/** Every token once, in order, each with the top eigenvalue a single process computes from the file. */
async function expectEveryTokenOnce(decompositionId: string, lm: { weights: Uint8Array; config: unknown }) {
  const single = decomposeFile(
    parseSafetensors(lm.weights),
    { config: lm.config },
    { layer: 0, directions: { kind: 'tokens', tokens: [0, 700, VOCAB - 1] }, topK: 4, exactnessSamples: 0 },
  );
  const seen: number[] = [];
  const top = new Map<number, number>();
  for (let offset = 0; offset < VOCAB; offset += 512) {
    const page = await api.get(`/api/v1/decompositions/${decompositionId}?offset=${offset}&limit=512`);
    expect(page.body.page).toMatchObject({ total: VOCAB });
    for (const output of page.body.outputs as { index: number; eigenvalues: number[] }[]) {
      seen.push(output.index);
      top.set(output.index, output.eigenvalues[0] as number);
    }
  }
  expect(seen).toEqual(Array.from({ length: VOCAB }, (_, token) => token));
  for (const output of single.outputs) {
    const expected = output.eigenvalues[0] as number;
    expect(Math.abs((top.get(output.index) as number) - expected)).toBeLessThan(1e-9 * Math.abs(expected));
  }
}

/** Which job finished each shard. */
async function shardHolders(decompositionId: string): Promise<(string | null)[]> {
  const shards = await db.decompositionShard.findMany({
    where: { decompositionId },
    orderBy: { index: 'asc' },
  });
  expect(shards.every((shard) => shard.finishedAt !== null)).toBe(true);
  return shards.map((shard) => shard.claimedBy);
}

it('shares every token of a language model between two workers, each stored once', async () => {
  const workers = await twoWorkers();
  const { modelId, lm } = await importModel('shards', 3);
  const queued = await api.post(`/api/v1/models/${modelId}/decompositions`, { topK: 4, allTokens: true });
  expect(queued.status).toBe(202);
  const decompositionId = String(queued.body.decompositionId);
  const helpers = await db.job.findMany({
    where: { queue: 'decompose-shard', subject: `decomposition-shard:${decompositionId}` },
  });
  expect(helpers).toHaveLength(1);

  const job = await waitForJob(api, String(queued.body.jobId), 240_000);
  expect(job.status, platform.logs()).toBe('completed');
  const helper = await waitForJob(api, helpers[0]?.id as string, 60_000);
  expect(helper.status, platform.logs()).toBe('completed');
  await expectEveryTokenOnce(decompositionId, lm);
  const holders = await shardHolders(decompositionId);
  expect(holders).toHaveLength(SHARDS);
  const byHelper = holders.filter((holder) => holder === helpers[0]?.id).length;
  console.log(
    `[shards] ${SHARDS} shards of 256 tokens: ${SHARDS - byHelper} by the decompose job, ${byHelper} by its helper`,
  );
  for (const worker of workers) worker.kill('SIGTERM');
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve))));
}, 400_000);

it('finishes the shard of a helper whose worker was SIGKILLed, once its claim lapses', async () => {
  const workers = await twoWorkers();
  const { modelId, lm } = await importModel('shards-kill', 5);
  const queued = await api.post(`/api/v1/models/${modelId}/decompositions`, { topK: 4, allTokens: true });
  const decompositionId = String(queued.body.decompositionId);
  const [helperRow] = await db.job.findMany({ where: { subject: `decomposition-shard:${decompositionId}` } });
  expect(helperRow).toBeDefined();

  // Kill the helper's worker as soon as the helper holds a shard.
  const deadline = Date.now() + 120_000;
  let holder: { workerId: string | null } | null = null;
  for (;;) {
    const held = await db.decompositionShard.count({
      where: { decompositionId, claimedBy: helperRow?.id, finishedAt: null },
    });
    holder = await db.job.findUnique({ where: { id: helperRow?.id as string }, select: { workerId: true } });
    if (held > 0 && holder?.workerId) break;
    const lead = await db.job.findUnique({
      where: { id: String(queued.body.jobId) },
      select: { status: true },
    });
    if (lead?.status === 'completed') break;
    if (Date.now() > deadline) throw new Error(`the helper never held a shard:\n${platform.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const victim = workers.find((worker) => holder?.workerId?.includes(`:${worker.pid}:`));
  if (victim === undefined) {
    console.log('[shards] the decompose job finished before its helper took a shard; nothing to kill');
  } else {
    victim.kill('SIGKILL');
    const killedAt = Date.now();
    const job = await waitForJob(api, String(queued.body.jobId), 240_000);
    expect(job.status, platform.logs()).toBe('completed');
    console.log(
      `[shards] helper's worker SIGKILLed; the decompose job completed ${((Date.now() - killedAt) / 1000).toFixed(1)} s later`,
    );
  }
  await waitForJob(api, String(queued.body.jobId), 240_000);
  await expectEveryTokenOnce(decompositionId, lm);
}, 400_000);
