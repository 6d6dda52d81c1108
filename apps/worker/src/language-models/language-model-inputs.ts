// What the SAE and evaluation jobs read: a stored language model (its checkpoint as the core reads
// it), its tokenizer, an attached SAE, and a corpus as token windows of the model's context — the
// same windows `bilinear lm eval --corpus` and `sae train --corpus` score (the text package's
// tokenWindows), read through the one corpus resolver (openLanguageModelCorpus).
import {
  declaredConfigOptions,
  importModel,
  importSparseAutoencoder,
  type LanguageModel,
  parseSafetensors,
  type SparseAutoencoder,
} from '@bilinear-lab/core';
import type { Model, SparseAutoencoder as SaeRow } from '@bilinear-lab/db';
import {
  CorpusError,
  datasetDocuments,
  loadTokenizer,
  type Tokenizer,
  TokenizerError,
  tokenWindows,
  windowContext,
} from '@bilinear-lab/text';
import { openLanguageModelCorpus } from '../datasets/open-corpus.js';
import type { JobContext } from '../jobs/job-context.js';
import { inputError } from '../jobs/job-errors.js';

/** A completed language model's checkpoint, imported with the config it was stored with. */
export async function readLanguageModel(context: JobContext, row: Model): Promise<LanguageModel> {
  if (row.status !== 'completed' || row.checkpointArtifactId === null) {
    throw inputError(`model ${row.id} has no checkpoint to read (its status is ${row.status})`);
  }
  const bytes = await context.store.read(row.checkpointArtifactId).catch(() => null);
  if (bytes === null) {
    throw inputError(`model ${row.id}: its checkpoint (artifact ${row.checkpointArtifactId}) is missing`);
  }
  let model: ReturnType<typeof importModel>;
  try {
    model = importModel(parseSafetensors(bytes), declaredConfigOptions(row.config));
  } catch (error) {
    throw inputError(`model ${row.id}: its checkpoint cannot be read (${(error as Error).message})`);
  }
  if (model.layout !== 'language-model') {
    throw inputError(`model ${row.id} is an image classifier, not a language model`);
  }
  return model;
}

/** The model's tokenizer (an artifact stored at import or training): the text must go through it. */
export async function readModelTokenizer(context: JobContext, row: Model): Promise<Tokenizer> {
  const artifactId = (row.config as { tokenizer?: { artifactId?: unknown } | null }).tokenizer?.artifactId;
  if (typeof artifactId !== 'string') {
    throw inputError(
      `model ${row.id} has no tokenizer to read text with (import it with its tokenizer.json)`,
    );
  }
  const bytes = await context.store.read(artifactId).catch(() => null);
  if (bytes === null) throw inputError(`model ${row.id}: its tokenizer (artifact ${artifactId}) is missing`);
  try {
    return loadTokenizer(Buffer.from(bytes).toString('utf8'), 'tokenizer.json');
  } catch (error) {
    if (error instanceof TokenizerError) throw inputError(`model ${row.id}: ${error.message}`);
    throw error;
  }
}

/** A stored SAE's weights, read with the config.json it came (or was trained) with. */
export async function readSae(context: JobContext, row: SaeRow): Promise<SparseAutoencoder> {
  if (row.checkpointArtifactId === null) throw inputError(`SAE ${row.id} has no weights yet (${row.status})`);
  const bytes = await context.store.read(row.checkpointArtifactId).catch(() => null);
  if (bytes === null) {
    throw inputError(`SAE ${row.id}: its weights (artifact ${row.checkpointArtifactId}) are missing`);
  }
  try {
    return importSparseAutoencoder(parseSafetensors(bytes), { config: row.config });
  } catch (error) {
    throw inputError(`SAE ${row.id}: its weights cannot be read (${(error as Error).message})`);
  }
}

/**
 * The corpus `spec` (of the project: an uploaded corpus must be its) as windows of the model's context through its tokenizer, at most about
 * `maxTokens` tokens; an input error when it gives no text.
 */
export async function readTokenWindows(
  context: JobContext,
  model: LanguageModel,
  tokenizer: Tokenizer,
  spec: string,
  maxTokens: number,
  projectId: string,
): Promise<number[][]> {
  if (tokenizer.vocabSize !== model.vocabSize) {
    throw inputError(
      `the model's tokenizer has ${tokenizer.vocabSize} tokens, but the model ${model.vocabSize}: not its tokenizer`,
    );
  }
  const corpus = await openLanguageModelCorpus(context, spec, { projectId });
  let windows: number[][];
  try {
    windows = await tokenWindows(
      datasetDocuments(corpus.dataset),
      tokenizer,
      windowContext(model.config?.context),
      maxTokens,
    );
  } catch (error) {
    if (error instanceof CorpusError || error instanceof TokenizerError) {
      throw inputError(`dataset ${spec}: ${error.message}`);
    }
    throw error;
  } finally {
    await corpus.close();
  }
  if (windows.length === 0) throw inputError(`dataset ${spec}: no text to read`);
  return windows;
}

/** How many positions the windows hold. */
export function positionsOf(windows: readonly ArrayLike<number>[]): number {
  return windows.reduce((sum, window) => sum + window.length, 0);
}
