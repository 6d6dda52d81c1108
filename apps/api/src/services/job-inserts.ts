// The rows of a submission in one SQL statement. A statement is atomic, so this is the "one
// transaction" of the contract, in one round trip; Prisma's batched transaction costs several
// milliseconds of CPU per submission, which is what limits submissions per second.
import type { JobPayload } from '@bilinear-lab/contracts';
import { type Database, Prisma, quoteIdentifier } from '@bilinear-lab/db';
import { formatSubject, subjectOf } from '@bilinear-lab/jobs';

export interface TrainingRows {
  modelId: string;
  runId: string;
  jobId: string;
  projectId: string;
  name: string;
  /** The full training config (Model.config, and TrainingRun.options unless `options` is given). */
  config: unknown;
  /** TrainingRun.options when they differ from the model's config (a language model's request). */
  options?: unknown;
  datasetSpec: string;
  datasetId: string | null;
  createdById: string;
  maxAttempts: number;
  payload: JobPayload<'train'>;
}

export async function insertTrainingRows(db: Database, schema: string, rows: TrainingRows): Promise<void> {
  const s = Prisma.raw(quoteIdentifier(schema));
  const config = JSON.stringify(rows.config);
  const options = JSON.stringify(rows.options ?? rows.config);
  const subject = formatSubject(subjectOf('train', rows.payload));
  await db.$executeRaw`
    WITH model AS (
      INSERT INTO ${s}."Model" (id, "projectId", name, source, status, config, "datasetSpec", "datasetId", "createdById", "updatedAt")
      VALUES (${rows.modelId}::uuid, ${rows.projectId}::uuid, ${rows.name}, 'trained', 'queued', ${config}::jsonb,
              ${rows.datasetSpec}, ${rows.datasetId}::uuid, ${rows.createdById}::uuid, now())
      RETURNING id
    ), run AS (
      INSERT INTO ${s}."TrainingRun" (id, "modelId", options, "jobId")
      SELECT ${rows.runId}::uuid, id, ${options}::jsonb, ${rows.jobId}::uuid FROM model
      RETURNING id
    )
    INSERT INTO ${s}."Job" (id, "projectId", queue, payload, status, "maxAttempts", subject, "createdById")
    SELECT ${rows.jobId}::uuid, ${rows.projectId}::uuid, 'train', ${JSON.stringify(rows.payload)}::jsonb, 'queued',
           ${rows.maxAttempts}, ${subject}, ${rows.createdById}::uuid
    FROM run`;
}

export interface DecompositionRows {
  decompositionId: string;
  jobId: string;
  projectId: string;
  modelId: string;
  parameters: unknown;
  parametersKey: string;
  createdById: string;
  maxAttempts: number;
  payload: JobPayload<'decompose'>;
}

/**
 * Inserts the Decomposition and its Job unless an identical request (same model and parameters
 * key) already has one; true when this call inserted them.
 */
export async function insertDecompositionRows(
  db: Database,
  schema: string,
  rows: DecompositionRows,
): Promise<boolean> {
  const s = Prisma.raw(quoteIdentifier(schema));
  const subject = formatSubject(subjectOf('decompose', rows.payload));
  const inserted = await db.$executeRaw`
    WITH decomposition AS (
      INSERT INTO ${s}."Decomposition" (id, "projectId", "modelId", parameters, "parametersKey", status, "jobId")
      VALUES (${rows.decompositionId}::uuid, ${rows.projectId}::uuid, ${rows.modelId}::uuid,
              ${JSON.stringify(rows.parameters)}::jsonb, ${rows.parametersKey}, 'queued', ${rows.jobId}::uuid)
      ON CONFLICT ("modelId", "parametersKey") DO NOTHING
      RETURNING id
    )
    INSERT INTO ${s}."Job" (id, "projectId", queue, payload, status, "maxAttempts", subject, "createdById")
    SELECT ${rows.jobId}::uuid, ${rows.projectId}::uuid, 'decompose', ${JSON.stringify(rows.payload)}::jsonb, 'queued',
           ${rows.maxAttempts}, ${subject}, ${rows.createdById}::uuid
    FROM decomposition`;
  return inserted === 1;
}
