// The results of a training job, written in the transaction that marks it completed.
import { type Database, PostgresArtifactStore, type Prisma } from '@bilinear-lab/db';
import type { MetricRow } from './metric-series.js';

export interface TrainingResults {
  modelId: string;
  runId: string;
  checkpoint: { bytes: Uint8Array<ArrayBuffer>; fileName: string };
  metricRows: MetricRow[];
  metrics: Prisma.InputJsonObject;
  backend: string;
}

/**
 * Stores the checkpoint, replaces the run's metric series with this attempt's, and completes the
 * model. A checkpoint an earlier attempt committed is deleted, so the model keeps exactly one.
 */
export async function writeTrainingResults(
  tx: Prisma.TransactionClient,
  results: TrainingResults,
): Promise<string> {
  const earlier = await tx.model.findUnique({
    where: { id: results.modelId },
    select: { checkpointArtifactId: true },
  });
  // The store only uses the artifact tables, which the transaction client has: the checkpoint then
  // exists only if the whole commit does.
  const store = new PostgresArtifactStore(tx as unknown as Database);
  const checkpoint = await store.put(results.checkpoint.bytes, {
    kind: 'checkpoint',
    fileName: results.checkpoint.fileName,
    contentType: 'application/octet-stream',
  });
  await tx.trainingMetric.deleteMany({ where: { runId: results.runId } });
  await tx.trainingMetric.createMany({ data: results.metricRows });
  await tx.model.update({
    where: { id: results.modelId },
    data: {
      status: 'completed',
      checkpointArtifactId: checkpoint.id,
      metrics: results.metrics,
      backend: results.backend,
    },
  });
  await tx.trainingRun.update({ where: { id: results.runId }, data: { finishedAt: new Date() } });
  const previous = earlier?.checkpointArtifactId;
  if (previous && previous !== checkpoint.id) await tx.artifact.deleteMany({ where: { id: previous } });
  return checkpoint.id;
}
