// Cancel and retry against the real queue, and the job's server-sent events over a real socket.
import { finishInQueue, JobEventLog, type QueueOutcome } from '@bilinear-lab/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, startTestApp, type TestApp } from '../../testing/test-app.js';

let test: TestApp;
let projectId: string;
let baseUrl: string;

beforeAll(async () => {
  test = await startTestApp('jobs');
  projectId = await createProject(test, test.adminKey);
  baseUrl = await test.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await test?.close();
});

async function queueTraining(): Promise<{ modelId: string; jobId: string }> {
  const response = await test.call({
    method: 'POST',
    url: `/api/v1/projects/${projectId}/models/train`,
    key: test.adminKey,
    body: { config: { hiddenDim: 8, epochs: 1 } },
  });
  expect(response.statusCode).toBe(202);
  return response.json();
}

describe('cancel and retry', () => {
  it('cancels a waiting job: removed from the queue, job and model cancelled', async () => {
    const { modelId, jobId } = await queueTraining();
    const response = await test.call({
      method: 'POST',
      url: `/api/v1/jobs/${jobId}/cancel`,
      key: test.adminKey,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: jobId, status: 'cancelled' });
    expect(await test.app.queues.train.getJob(jobId)).toBeUndefined();
    expect((await test.app.db.model.findUniqueOrThrow({ where: { id: modelId } })).status).toBe('cancelled');
    const events = await new JobEventLog(test.redis, test.config.redisPrefix).read(jobId);
    expect(events.map((entry) => entry.event)).toEqual([{ type: 'state', status: 'cancelled' }]);

    const twice = await test.call({
      method: 'POST',
      url: `/api/v1/jobs/${jobId}/cancel`,
      key: test.adminKey,
    });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.message).toContain('already cancelled');
  });

  it('retries a cancelled job under the same id', async () => {
    const { modelId, jobId } = await queueTraining();
    const notYet = await test.call({
      method: 'POST',
      url: `/api/v1/jobs/${jobId}/retry`,
      key: test.adminKey,
    });
    expect(notYet.statusCode).toBe(409);
    expect(notYet.json().error.message).toContain('only failed or cancelled');

    await test.call({ method: 'POST', url: `/api/v1/jobs/${jobId}/cancel`, key: test.adminKey });
    await test.app.cancelRequests.request(jobId);
    const retried = await test.call({
      method: 'POST',
      url: `/api/v1/jobs/${jobId}/retry`,
      key: test.adminKey,
    });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ id: jobId, status: 'queued', error: null, progress: 0 });
    const queued = await test.app.queues.train.getJob(jobId);
    expect(await queued?.getState()).toBe('waiting');
    expect(queued?.data).toEqual({ jobId, projectId, modelId });
    expect((await test.app.db.model.findUniqueOrThrow({ where: { id: modelId } })).status).toBe('queued');
    expect(await test.app.cancelRequests.isRequested(jobId)).toBe(false);

    const listed = await test.call({
      url: `/api/v1/projects/${projectId}/jobs?status=queued`,
      key: test.adminKey,
    });
    expect(listed.json().map((job: { id: string }) => job.id)).toContain(jobId);
    const none = await test.call({
      url: `/api/v1/projects/${projectId}/jobs?status=running`,
      key: test.adminKey,
    });
    expect(none.json()).toEqual([]);
  });

  it('retries a failed job', async () => {
    const { jobId } = await queueTraining();
    await (await test.app.queues.train.getJob(jobId))?.remove();
    await test.app.db.job.update({
      where: { id: jobId },
      data: { status: 'failed', error: 'out of memory' },
    });
    const retried = await test.call({
      method: 'POST',
      url: `/api/v1/jobs/${jobId}/retry`,
      key: test.adminKey,
    });
    expect(retried.statusCode).toBe(202);
    expect(await (await test.app.queues.train.getJob(jobId))?.getState()).toBe('waiting');
  });
});

describe('cancel and retry of a row BullMQ has finished with (issue 11)', () => {
  /** A training job whose row says running (on a worker that is gone) while BullMQ's job is `outcome`. */
  async function stuckTraining(outcome: QueueOutcome | 'gone'): Promise<{ modelId: string; jobId: string }> {
    const queued = await queueTraining();
    if (outcome === 'gone') await (await test.app.queues.train.getJob(queued.jobId))?.remove();
    else await finishInQueue(test.app.queues.train, queued.jobId, outcome);
    await test.app.db.$transaction([
      test.app.db.job.update({
        where: { id: queued.jobId },
        data: { status: 'running', attempts: 3, workerId: 'lost-worker', startedAt: new Date() },
      }),
      test.app.db.model.update({ where: { id: queued.modelId }, data: { status: 'running' } }),
    ]);
    return queued;
  }

  const post = (jobId: string, action: 'cancel' | 'retry') =>
    test.call({ method: 'POST', url: `/api/v1/jobs/${jobId}/${action}`, key: test.adminKey });

  for (const outcome of [{ failed: 'the database was unreachable' }, 'gone'] as const) {
    const label = outcome === 'gone' ? 'gone' : 'failed';
    it(`retries a running row whose BullMQ job is ${label}: queued again under the same id`, async () => {
      const { modelId, jobId } = await stuckTraining(outcome);
      const retried = await post(jobId, 'retry');
      expect(retried.statusCode).toBe(202);
      expect(retried.json()).toMatchObject({ id: jobId, status: 'queued', attempts: 0, error: null });
      const queued = await test.app.queues.train.getJob(jobId);
      expect(await queued?.getState()).toBe('waiting');
      expect(queued?.attemptsMade).toBe(0);
      expect((await test.app.db.model.findUniqueOrThrow({ where: { id: modelId } })).status).toBe('queued');
    });

    it(`cancels a running row whose BullMQ job is ${label} at once`, async () => {
      const { modelId, jobId } = await stuckTraining(outcome);
      const cancelled = await post(jobId, 'cancel');
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json()).toMatchObject({ id: jobId, status: 'cancelled' });
      expect((await test.app.db.model.findUniqueOrThrow({ where: { id: modelId } })).status).toBe(
        'cancelled',
      );
      expect(await test.app.cancelRequests.isRequested(jobId)).toBe(false);
      // And from there, retry works as for any cancelled job.
      expect((await post(jobId, 'retry')).statusCode).toBe(202);
    });
  }

  it('retries a running row whose BullMQ job completed without its results', async () => {
    const { jobId } = await stuckTraining({ completed: null });
    expect((await post(jobId, 'retry')).statusCode).toBe(202);
    expect(await (await test.app.queues.train.getJob(jobId))?.getState()).toBe('waiting');
  });

  it('still refuses to retry a running row whose BullMQ job a worker holds, and only asks it to cancel', async () => {
    const { jobId } = await stuckTraining({ active: true });
    const retried = await post(jobId, 'retry');
    expect(retried.statusCode).toBe(409);
    expect(retried.json().error.message).toContain('only failed or cancelled');
    const cancelled = await post(jobId, 'cancel');
    expect(cancelled.statusCode).toBe(202);
    expect(cancelled.json()).toMatchObject({ status: 'running' });
    expect(await test.app.cancelRequests.isRequested(jobId)).toBe(true);
  });
});

interface SseMessage {
  id: string | null;
  event: string;
  data: unknown;
}

/** Reads a text/event-stream until it ends, handing each message to `onMessage`. */
async function readEvents(
  response: Response,
  onMessage: (message: SseMessage, all: SseMessage[]) => void = () => {},
): Promise<{ messages: SseMessage[]; comments: string[] }> {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const lines = block.split('\n');
      if (lines.every((line) => line.startsWith(':'))) {
        comments.push(block);
        continue;
      }
      const field = (name: string) =>
        lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
      const data = field('data');
      if (data === undefined) continue;
      const message = { id: field('id') ?? null, event: field('event') ?? 'message', data: JSON.parse(data) };
      messages.push(message);
      onMessage(message, messages);
    }
  }
  return { messages, comments };
}

describe('GET /jobs/:id/events', () => {
  it('replays the log, delivers new events live and ends after a final state', async () => {
    const { jobId } = await queueTraining();
    const log = new JobEventLog(test.redis, test.config.redisPrefix);
    const runningId = await log.append(jobId, {
      type: 'state',
      status: 'running',
      attempt: 1,
      workerId: 'w1',
    });
    await log.append(jobId, { type: 'progress', progress: 0.25, message: 'epoch 1' });

    const response = await fetch(`${baseUrl}/api/v1/jobs/${jobId}/events`, {
      headers: { authorization: `Bearer ${test.adminKey}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    let appended = false;
    const { messages, comments } = await readEvents(response, (_message, all) => {
      // Once the replay is in, the worker goes on: a metrics event, then completion.
      if (all.length === 2 && !appended) {
        appended = true;
        setTimeout(async () => {
          await log.append(jobId, {
            type: 'metrics',
            kind: 'epoch',
            epoch: 1,
            step: 4,
            totalSteps: 4,
            loss: 0.5,
            learningRate: 0.001,
          });
          await log.append(jobId, { type: 'state', status: 'completed' });
        }, 700);
      }
    });
    // The log's own state event tells where things stand: no second, synthetic one beside it
    // (which also named the database's older 'queued').
    expect(messages.map((message) => message.event)).toEqual(['state', 'progress', 'metrics', 'state']);
    expect(messages[0]).toMatchObject({ id: runningId, data: { status: 'running', workerId: 'w1' } });
    expect(messages[2]?.data).toMatchObject({ type: 'metrics', loss: 0.5 });
    expect(messages[3]?.data).toEqual({ type: 'state', status: 'completed' });
    // Stream ids increase, so a client can resume after any of them.
    const ids = messages.map((message) => message.id);
    expect(ids.every((id) => id !== null && /^\d+-\d+$/.test(id))).toBe(true);
    // The heartbeat (300 ms in tests) kept the idle stream alive while waiting.
    expect(comments.some((comment) => comment.includes('heartbeat'))).toBe(true);

    const resumed = await fetch(`${baseUrl}/api/v1/jobs/${jobId}/events`, {
      headers: { authorization: `Bearer ${test.adminKey}`, 'last-event-id': runningId },
    });
    const replay = await readEvents(resumed);
    expect(replay.messages.map((message) => message.event)).toEqual(['progress', 'metrics', 'state']);
    const after = await fetch(`${baseUrl}/api/v1/jobs/${jobId}/events?after=${ids[1]}`, {
      headers: { authorization: `Bearer ${test.adminKey}` },
    });
    expect((await readEvents(after)).messages.map((message) => message.event)).toEqual(['metrics', 'state']);
  });

  it("sends a running job's state once: the log's state event, not a second copy from the database", async () => {
    const { jobId } = await queueTraining();
    await test.app.db.job.update({
      where: { id: jobId },
      data: { status: 'running', startedAt: new Date() },
    });
    const log = new JobEventLog(test.redis, test.config.redisPrefix);
    await log.append(jobId, { type: 'state', status: 'running', attempt: 1, workerId: 'w1' });
    await log.append(jobId, { type: 'progress', progress: 0.4 });
    setTimeout(() => void log.append(jobId, { type: 'state', status: 'completed' }), 500);
    const response = await fetch(`${baseUrl}/api/v1/jobs/${jobId}/events`, {
      headers: { authorization: `Bearer ${test.adminKey}` },
    });
    const states = (await readEvents(response)).messages
      .filter((message) => message.event === 'state')
      .map((message) => (message.data as { status: string }).status);
    expect(states).toEqual(['running', 'completed']);
  });

  it('ends at once for a finished job whose log is gone, and lets a client disconnect early', async () => {
    const { jobId } = await queueTraining();
    await test.app.db.job.update({
      where: { id: jobId },
      data: { status: 'completed', finishedAt: new Date() },
    });
    const done = await fetch(`${baseUrl}/api/v1/jobs/${jobId}/events`, {
      headers: { authorization: `Bearer ${test.adminKey}` },
    });
    expect((await readEvents(done)).messages).toEqual([
      { id: null, event: 'state', data: { type: 'state', status: 'completed' } },
    ]);

    const open = await queueTraining();
    const controller = new AbortController();
    const live = await fetch(`${baseUrl}/api/v1/jobs/${open.jobId}/events`, {
      headers: { authorization: `Bearer ${test.adminKey}` },
      signal: controller.signal,
    });
    const reader = live.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toContain('retry');
    controller.abort();
  });

  it('answers unknown jobs and missing keys before streaming', async () => {
    const unknown = await test.call({
      url: '/api/v1/jobs/00000000-0000-4000-8000-000000000000/events',
      key: test.adminKey,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toContain('job 00000000-0000-4000-8000-000000000000');
    const anonymous = await fetch(`${baseUrl}/api/v1/jobs/00000000-0000-4000-8000-000000000000/events`);
    expect(anonymous.status).toBe(401);
  });
});
