// Shard claims on a real Postgres schema: the plan, two jobs taking turns, a retry getting its own
// shard back, claims that lapse (lease run out, claimant ended), a stored prefix skipped, a shard
// found fully stored finished on the spot.
import { randomUUID } from 'node:crypto';
import { jobCatalog } from '@bilinear-lab/contracts';
import { formatSubject } from '@bilinear-lab/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecompositionJob, createImportedModel, createProject } from '../testing/platform-rows.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { DecompositionShards } from './decomposition-shards.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let platform: TestPlatform;
let projectId: string;

beforeAll(async () => {
  platform = await createTestPlatform(DATABASE_URL, REDIS_URL, 'shards');
  projectId = await createProject(platform.db);
}, 60_000);

afterAll(async () => {
  await platform?.close();
});

/**
 * A decomposition of every token and its decompose job; the shards index `outputs` (odd ids here,
 * so positions and ids differ).
 */
async function decomposition(count: number) {
  const outputs = Array.from({ length: count }, (_, position) => 2 * position + 1);
  // A model each: identical requests of one model are one decomposition.
  const { modelId } = await createImportedModel(platform.db, platform.store, projectId, new Uint8Array(8), {
    kind: 'language-model',
  });
  const rows = await createDecompositionJob(platform.db, projectId, modelId, {
    allTokens: true,
    topK: 8,
  });
  return { ...rows, outputs };
}

/** A decompose-shard job's row for the decomposition. */
async function helperJob(decompositionId: string): Promise<string> {
  const jobId = randomUUID();
  await platform.db.job.create({
    data: {
      id: jobId,
      projectId,
      queue: 'decompose-shard',
      payload: { jobId, projectId, decompositionId },
      status: 'running',
      maxAttempts: jobCatalog['decompose-shard'].attempts,
      subject: formatSubject({ kind: 'decomposition-shard', id: decompositionId }),
    },
  });
  return jobId;
}

async function storeOutputs(decompositionId: string, indices: number[]): Promise<void> {
  await platform.db.spectrum.createMany({
    data: indices.map((outputIndex) => ({
      decompositionId,
      outputIndex,
      label: `token ${outputIndex}`,
      dimension: 1,
      eigenvalues: new Uint8Array(8),
      effectiveRank: 1,
    })),
  });
}

describe('DecompositionShards', () => {
  it('plans shards of 256 once, whoever plans first', async () => {
    const { decompositionId, jobId, outputs } = await decomposition(700);
    const shards = new DecompositionShards(platform.db, decompositionId, jobId, outputs);
    await shards.plan();
    await new DecompositionShards(platform.db, decompositionId, randomUUID(), outputs).plan();
    const rows = await platform.db.decompositionShard.findMany({
      where: { decompositionId },
      orderBy: { index: 'asc' },
    });
    expect(rows.map(({ index, first, count }) => ({ index, first, count }))).toEqual([
      { index: 0, first: 0, count: 256 },
      { index: 1, first: 256, count: 256 },
      { index: 2, first: 512, count: 188 },
    ]);
    expect(await shards.unfinished()).toBe(3);
  });

  it('hands each shard to one job; a retry gets its own shard back first', async () => {
    const { decompositionId, jobId, outputs } = await decomposition(700);
    const lead = new DecompositionShards(platform.db, decompositionId, jobId, outputs);
    const help = new DecompositionShards(
      platform.db,
      decompositionId,
      await helperJob(decompositionId),
      outputs,
    );
    const more = new DecompositionShards(
      platform.db,
      decompositionId,
      await helperJob(decompositionId),
      outputs,
    );
    await lead.plan();
    expect(await lead.claim()).toEqual({ index: 0, first: 0, end: 256, todoFirst: 0 });
    expect(await help.claim()).toEqual({ index: 1, first: 256, end: 512, todoFirst: 256 });
    expect(await more.claim()).toEqual({ index: 2, first: 512, end: 700, todoFirst: 512 });
    // A retry of the helper (same job id) continues its shard.
    expect(await help.claim()).toEqual({ index: 1, first: 256, end: 512, todoFirst: 256 });
    // Every shard is held by a live job with a fresh lease.
    const late = new DecompositionShards(
      platform.db,
      decompositionId,
      await helperJob(decompositionId),
      outputs,
    );
    expect(await late.claim()).toBeNull();
  });

  it('takes over lapsed claims from their first unstored output, and finishes stored shards on the spot', async () => {
    const { decompositionId, jobId, outputs } = await decomposition(600);
    const lead = new DecompositionShards(platform.db, decompositionId, jobId, outputs);
    await lead.plan();
    const helpers = await Promise.all([0, 1, 2].map(() => helperJob(decompositionId)));
    for (const [index, helper] of helpers.entries()) {
      const claimed = await new DecompositionShards(platform.db, decompositionId, helper, outputs).claim();
      expect(claimed?.index).toBe(index);
    }
    expect(await lead.claim()).toBeNull();

    // Shard 0's holder stored 64 outputs, shard 1's all of them; then both leases ran out.
    await storeOutputs(decompositionId, outputs.slice(0, 64));
    await storeOutputs(decompositionId, outputs.slice(256, 512));
    await platform.db.decompositionShard.updateMany({
      where: { decompositionId, index: { in: [0, 1] } },
      data: { leaseUntil: new Date(Date.now() - 1000) },
    });
    const shard0 = await lead.claim();
    expect(shard0).toEqual({ index: 0, first: 0, end: 256, todoFirst: 64 });
    await lead.finish(platform.db, shard0 as NonNullable<typeof shard0>);
    // Shard 1 lapsed too but is all stored: finished on the spot; shard 2's holder is alive.
    expect(await lead.claim()).toBeNull();
    const shard1 = await platform.db.decompositionShard.findUniqueOrThrow({
      where: { decompositionId_index: { decompositionId, index: 1 } },
    });
    expect(shard1.finishedAt).not.toBeNull();
    expect(await lead.unfinished()).toBe(1);

    // Shard 2's job failed: its shard is free at once, lease or not.
    await platform.db.job.update({ where: { id: helpers[2] as string }, data: { status: 'failed' } });
    expect(await lead.claim()).toEqual({ index: 2, first: 512, end: 600, todoFirst: 512 });
    expect(await lead.storedCount()).toBe(64 + 256);
  });
});
