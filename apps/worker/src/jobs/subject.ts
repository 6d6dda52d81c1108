// What a job produces ("model:<id>" or "decomposition:<id>" in Job.subject) mirrors the job's status.
import type { JobPayload, QueueName } from '@bilinear-lab/contracts';
import type { Database, JobStatus, Prisma } from '@bilinear-lab/db';

export type Subject = { kind: 'model'; id: string } | { kind: 'decomposition'; id: string };

type Client = Database | Prisma.TransactionClient;

export function subjectOfPayload<Q extends QueueName>(queue: Q, payload: JobPayload<Q>): Subject {
  return queue === 'train'
    ? { kind: 'model', id: (payload as JobPayload<'train'>).modelId }
    : { kind: 'decomposition', id: (payload as JobPayload<'decompose'>).decompositionId };
}

/** Parses Job.subject; null for anything else (the row was not written by the API). */
export function parseSubject(text: string): Subject | null {
  const [kind, id] = text.split(':');
  if (!id) return null;
  if (kind === 'model' || kind === 'decomposition') return { kind, id };
  return null;
}

/** Sets the subject's status; `error` is kept on decompositions (models have no error column). */
export async function setSubjectStatus(
  client: Client,
  subject: Subject,
  status: JobStatus,
  error: string | null = null,
): Promise<void> {
  if (subject.kind === 'model') {
    await client.model.updateMany({ where: { id: subject.id }, data: { status } });
    return;
  }
  await client.decomposition.updateMany({ where: { id: subject.id }, data: { status, error } });
}
