// A subject's row shares its job's status; this is the one place that writes it, for the API
// (cancel, retry) and the worker (running, retry, failure, completion) alike.
import type { JobStatus, Prisma } from '@bilinear-lab/db';
import { parseSubject, type Subject } from './subject.js';

/** The database or an open transaction: only the subjects' tables are touched. */
export type SubjectClient = Pick<
  Prisma.TransactionClient,
  'model' | 'decomposition' | 'sparseAutoencoder' | 'evaluation' | 'activationsRun'
>;

/**
 * Sets the subject's status the way its job's status changed. `subject` is a Subject or Job.subject
 * as stored; a string naming no subject, or a subject whose row is gone, changes nothing.
 *
 * Models and SAEs have a status only. Decompositions and evaluations also keep the job's error, and a re-queued one loses its
 * completedAt (the worker's results commit sets it again when the new attempt completes).
 */
export async function setSubjectStatus(
  client: SubjectClient,
  subject: Subject | string,
  status: JobStatus,
  error: string | null = null,
): Promise<void> {
  const parsed = typeof subject === 'string' ? parseSubject(subject) : subject;
  // A shard job's decomposition belongs to its decompose job: the shard job's own state stays on its Job row.
  if (parsed === null || parsed.kind === 'decomposition-shard') return;
  // A tokenizer-train job's Tokenizer row is written when it completes: it has no status to follow.
  if (parsed.kind === 'tokenizer') return;
  if (parsed.kind === 'model') {
    await client.model.updateMany({ where: { id: parsed.id }, data: { status } });
    return;
  }
  if (parsed.kind === 'sae') {
    await client.sparseAutoencoder.updateMany({ where: { id: parsed.id }, data: { status } });
    return;
  }
  if (parsed.kind === 'evaluation') {
    await client.evaluation.updateMany({
      where: { id: parsed.id },
      data: { status, error, ...(status === 'queued' ? { completedAt: null } : {}) },
    });
    return;
  }
  if (parsed.kind === 'activations') {
    await client.activationsRun.updateMany({
      where: { id: parsed.id },
      data: { status, error, ...(status === 'queued' ? { completedAt: null } : {}) },
    });
    return;
  }
  await client.decomposition.updateMany({
    where: { id: parsed.id },
    data: { status, error, ...(status === 'queued' ? { completedAt: null } : {}) },
  });
}
