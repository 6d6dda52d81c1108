// GET /jobs/:id/events as server-sent events: every event of its JobEventLog from the start (or after
// the last id the client saw), then new ones as they arrive, read blocking on a Redis connection of
// this stream's own. When the replay held no state event (a log Redis lost, or a resume after the
// last one), the job's current status follows it, so a late subscriber still knows where things
// stand — but never beside the log's own state event, which a client would see twice. Ends after a
// final state (completed, failed, cancelled).
import { FINISHED_STATUSES, type JobEvent, type JobStatus } from '@bilinear-lab/contracts';
import type { Job } from '@bilinear-lab/db';
import { JobEventLog, type Redis, type StoredJobEvent } from '@bilinear-lab/jobs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const BATCH = 500;

export interface EventStreamOptions {
  /** Replay only events after this stream id. */
  afterId: string | null;
  heartbeatMs: number;
}

export async function streamJobEvents(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  job: Job,
  options: EventStreamOptions,
): Promise<void> {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  let reader: Redis | null = null;
  let closed = false;
  const stop = () => {
    closed = true;
    // Aborts a blocked XREAD: the connection is this stream's alone.
    reader?.disconnect();
  };
  out.on('close', stop);
  app.activeEventStreams.add(stop);

  const write = (chunk: string) => {
    if (!closed) out.write(chunk);
  };
  try {
    write('retry: 3000\n\n');

    let cursor = options.afterId ?? '0';
    let lastState: JobStatus | null = null;
    const emit = (events: StoredJobEvent[]) => {
      for (const { id, event } of events) {
        write(format(id, event));
        if (event.type === 'state') lastState = event.status;
        cursor = id;
      }
    };
    // Replay what is already there with the shared connection (non-blocking reads).
    for (;;) {
      const events = await app.jobEvents.read(job.id, cursor, { count: BATCH });
      emit(events);
      if (events.length < BATCH || closed) break;
    }
    if (lastState === null) {
      write(format(null, initialState(job)));
      if (options.afterId === null && isFinal(job.status)) return;
    }
    if (isFinal(lastState)) return;

    reader = app.openEventReader();
    const live = new JobEventLog(reader, app.redisPrefix);
    while (!closed) {
      const events = await live.read(job.id, cursor, { blockMs: options.heartbeatMs, count: BATCH });
      if (closed) break;
      if (events.length === 0) {
        write(': heartbeat\n\n');
        // A final state the log never received (e.g. Redis lost it) still ends the stream.
        if (await finishedWithoutEvent(app, job.id)) break;
        continue;
      }
      emit(events);
      if (isFinal(lastState)) break;
    }
  } catch (error) {
    if (!closed) request.log.warn({ err: error, jobId: job.id }, 'job event stream failed');
  } finally {
    app.activeEventStreams.delete(stop);
    out.off('close', stop);
    reader?.disconnect();
    if (!out.writableEnded) out.end();
  }
}

function initialState(job: Job): JobEvent {
  return {
    type: 'state',
    status: job.status,
    ...(job.attempts > 0 ? { attempt: job.attempts } : {}),
    ...(job.workerId ? { workerId: job.workerId } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
}

function format(id: string | null, event: JobEvent): string {
  return `${id === null ? '' : `id: ${id}\n`}event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

function isFinal(status: JobStatus | null): boolean {
  return status !== null && FINISHED_STATUSES.includes(status);
}

async function finishedWithoutEvent(app: FastifyInstance, jobId: string): Promise<boolean> {
  const job = await app.db.job.findUnique({
    where: { id: jobId },
    select: { status: true, finishedAt: true },
  });
  // Give the worker's own final event a heartbeat period to arrive before deciding it never will.
  return (
    job === null ||
    (isFinal(job.status) && job.finishedAt !== null && Date.now() - job.finishedAt.getTime() > 5_000)
  );
}
