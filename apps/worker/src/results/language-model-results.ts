// The results of a language model's training job, written in the transaction that completes it:
// the HF folder's weights as the model's checkpoint, its tokenizer as an artifact, config.json in
// the model's record, the metric rows of this attempt, and the resumable checkpoint deleted.
import { type Database, PostgresArtifactStore, type Prisma } from '@bilinear-lab/db';
import type { MetricRow } from './metric-series.js';

export interface LanguageModelResults {
  modelId: string;
  runId: string;
  /** languageModelRecord of the trained folder (kind, shape, fileConfig), as an import records it. */
  record: Record<string, unknown>;
  model: { bytes: Uint8Array<ArrayBuffer>; fileName: string };
  tokenizer: { json: string; vocabSize: number };
  metricRows: MetricRow[];
  metrics: Prisma.InputJsonObject;
  backend: string;
  /** The run's resumable checkpoint (training-state artifact), no longer needed. */
  trainingState: string | null;
}

/**
 * Stores the folder and completes the model. Artifacts an earlier attempt committed are replaced,
 * so the model keeps exactly one checkpoint and one tokenizer. Returns the checkpoint's artifact id.
 */
export async function writeLanguageModelResults(
  tx: Prisma.TransactionClient,
  results: LanguageModelResults,
): Promise<string> {
  const earlier = await tx.model.findUnique({
    where: { id: results.modelId },
    select: { checkpointArtifactId: true, config: true },
  });
  const store = new PostgresArtifactStore(tx as unknown as Database);
  const checkpoint = await store.put(results.model.bytes, {
    kind: 'checkpoint',
    fileName: results.model.fileName,
    contentType: 'application/octet-stream',
  });
  const tokenizer = await store.put(Buffer.from(results.tokenizer.json, 'utf8'), {
    kind: 'tokenizer',
    fileName: 'tokenizer.json',
    contentType: 'application/json',
  });
  // A resumed run's earlier steps are stored already; this attempt's rows may be partly stored live.
  await tx.trainingMetric.createMany({ data: results.metricRows, skipDuplicates: true });
  const config = {
    ...results.record,
    tokenizer: { artifactId: tokenizer.id, vocabSize: results.tokenizer.vocabSize, sha256: tokenizer.sha256 },
  };
  await tx.model.update({
    where: { id: results.modelId },
    data: {
      status: 'completed',
      checkpointArtifactId: checkpoint.id,
      config: config as Prisma.InputJsonObject,
      metrics: results.metrics,
      backend: results.backend,
    },
  });
  await tx.trainingRun.update({ where: { id: results.runId }, data: { finishedAt: new Date() } });
  const previous = [
    earlier?.checkpointArtifactId,
    (earlier?.config as { tokenizer?: { artifactId?: unknown } | null } | undefined)?.tokenizer?.artifactId,
    results.trainingState,
  ].filter((id): id is string => typeof id === 'string' && id !== checkpoint.id && id !== tokenizer.id);
  if (previous.length > 0) await tx.artifact.deleteMany({ where: { id: { in: previous } } });
  return checkpoint.id;
}
