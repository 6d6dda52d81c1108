// The durable side of a job: its subject ("model:<id>" or "decomposition:<id>") shares its status.
import type { JobStatus } from '@bilinear-lab/contracts';
import type { Prisma } from '@bilinear-lab/db';

export type Subject = { kind: 'model'; id: string } | { kind: 'decomposition'; id: string };

export function parseSubject(subject: string): Subject | null {
  const [kind, id] = subject.split(':');
  if (id === undefined) return null;
  if (kind === 'model' || kind === 'decomposition') return { kind, id };
  return null;
}

/** Sets the subject's status the way the job's status changed (no-op when the subject is gone). */
export async function setSubjectStatus(
  tx: Prisma.TransactionClient,
  subject: string,
  status: JobStatus,
  error: string | null = null,
): Promise<void> {
  const parsed = parseSubject(subject);
  if (parsed === null) return;
  if (parsed.kind === 'model') {
    await tx.model.updateMany({ where: { id: parsed.id }, data: { status } });
  } else {
    await tx.decomposition.updateMany({
      where: { id: parsed.id },
      data: { status, error, ...(status === 'queued' ? { completedAt: null } : {}) },
    });
  }
}
