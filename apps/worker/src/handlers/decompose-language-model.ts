// The decompose job for a language model: one layer's MLP along token directions (the tokens asked
// for, or the whole vocabulary) or an output SAE's features, optionally over an input SAE's features
// (DᵀQD), on the decomposition threads — through the layer's output tensor when there are many —
// and stored as it goes, 64 outputs per transaction. A retry after a crash decomposes only the
// outputs not yet stored, so nothing is done twice and nothing is missed.
import type { DecompositionRequest } from '@bilinear-lab/contracts';
import {
  DEFAULT_EXACTNESS_SAMPLES,
  type ImportModelOptions,
  importSparseAutoencoder,
  type LanguageModel,
  type LanguageModelDirections,
  type OutputDecomposition,
  parseSafetensors,
  type SparseAutoencoder,
} from '@bilinear-lab/core';
import type { Model } from '@bilinear-lab/db';
import { loadTokenizer } from '@bilinear-lab/text';
import { decomposeInThreads } from '@bilinear-lab/threads';
import { inputError } from '../jobs/job-errors.js';
import type { JobRun } from '../jobs/job-run.js';
import { eigenvectorRows, spectrumRows } from '../results/decomposition-rows.js';

/** A token's text for labels, when the model came with a tokenizer. */
type TokenText = (token: number) => string | null;

/** Outputs per stored part: ~1.3 MB of rows for a d = 512 layer at top-k 8. */
const PART_OUTPUTS = 64;
/** Top and bottom tokens kept per eigenvector (its reading). */
export const READING_ENTRIES = 16;

export interface LanguageModelDecomposition {
  decompositionId: string;
  parameters: DecompositionRequest;
  row: Model;
  model: LanguageModel;
  modelBytes: Uint8Array;
  importOptions: ImportModelOptions;
}

export async function decomposeLanguageModel(
  run: JobRun<'decompose'>,
  job: LanguageModelDecomposition,
): Promise<{ decompositionId: string; outputs: number; rssBytes: number }> {
  const { db } = run.context;
  const { decompositionId, parameters, model } = job;
  const saeOut = parameters.saeOut ? await loadSae(run, parameters.saeOut) : null;
  const saeIn = parameters.saeIn ? await loadSae(run, parameters.saeIn) : null;
  // Output indices: token ids, or the output SAE's feature ids.
  const tokens = saeOut
    ? parameters.allFeatures
      ? Array.from({ length: saeOut.features }, (_, feature) => feature)
      : (parameters.features ?? [])
    : parameters.allTokens
      ? Array.from({ length: model.vocabSize }, (_, token) => token)
      : (parameters.outputs ?? []);
  if (tokens.length === 0) throw inputError(`decomposition ${decompositionId} names no outputs`);
  const stored = new Set(
    (await db.spectrum.findMany({ where: { decompositionId }, select: { outputIndex: true } })).map(
      (spectrum) => spectrum.outputIndex,
    ),
  );
  const todo = tokens.filter((token) => !stored.has(token));
  const tokenText = await tokenTextOf(run, job.row);
  const directions = (todo: number[]): LanguageModelDirections =>
    saeOut
      ? { kind: 'sae-features', sae: saeOut, features: todo }
      : {
          kind: 'tokens',
          tokens: todo,
          ...(parameters.comparison ? { comparison: parameters.comparison } : {}),
        };
  const label = (output: OutputDecomposition) => {
    const text = saeOut ? null : tokenText?.(output.index);
    return text === null || text === undefined ? output.label : `${output.label} ${JSON.stringify(text)}`;
  };
  const fraction = (done: number) => (stored.size + done) / tokens.length;
  if (stored.size > 0) {
    run.progress(
      fraction(0),
      `${stored.size} of ${tokens.length} outputs already stored by an earlier attempt`,
    );
  }

  // Parts are stored while the threads go on with the next outputs: one store at a time, so a
  // failed one stops the job at the next part, and memory holds at most two parts.
  let part: OutputDecomposition[] = [];
  let storing: Promise<void> = Promise.resolve();
  let written = 0;
  const store = async (decomposed: OutputDecomposition[]) => {
    const outputs = decomposed.map((output) => ({ ...output, label: label(output) }));
    const spectra = spectrumRows(decompositionId, { outputs });
    const eigenvectors = eigenvectorRows(decompositionId, { outputs }, parameters.topK);
    await run.throwIfCancelled(`after ${stored.size + written} of ${tokens.length} outputs`);
    await run.storePart(async (tx) => {
      // skipDuplicates: a retry of a part whose transaction did reach the server writes nothing twice.
      await tx.spectrum.createMany({ data: spectra, skipDuplicates: true });
      await tx.eigenvectors.createMany({ data: eigenvectors, skipDuplicates: true });
    });
    written += outputs.length;
    run.progress(fraction(written), `stored ${stored.size + written} of ${tokens.length} outputs`);
  };
  const storePart = async () => {
    const decomposed = part;
    part = [];
    await storing;
    storing = decomposed.length === 0 ? Promise.resolve() : store(decomposed);
    // Awaited by the next part or at the end; until then a failure must not count as unhandled.
    storing.catch(() => {});
  };

  if (todo.length > 0) {
    try {
      await decomposeInThreads({
        modelBytes: job.modelBytes,
        importOptions: job.importOptions,
        options: {
          layer: parameters.layer ?? 0,
          directions: directions(todo),
          ...(saeIn ? { inputFeatures: saeIn } : {}),
          topK: parameters.topK,
          exactnessSamples: DEFAULT_EXACTNESS_SAMPLES,
          readingEntries: READING_ENTRIES,
          // A token-space vector is V values; its reading is what is stored.
          inputVectors: false,
        },
        onProgress: (done, _total, what) => {
          if (done === 0) run.progress(fraction(0), what);
        },
        onOutput: async (output) => {
          part.push(output);
          if (part.length >= PART_OUTPUTS) await storePart();
        },
      });
      await storePart();
      await storing;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'DecompositionInputError' || name === 'ModelLayoutError' || name === 'ModelConfigError') {
        throw inputError(`cannot decompose this model: ${(error as Error).message}`);
      }
      throw error;
    }
  }
  await run.commit(async (tx) => {
    await tx.decomposition.update({
      where: { id: decompositionId },
      data: { status: 'completed', error: null, completedAt: new Date() },
    });
  });
  return { decompositionId, outputs: tokens.length, rssBytes: process.memoryUsage().rss };
}

/** An attached SAE, read from its artifact with the config.json it came with. */
async function loadSae(run: JobRun<'decompose'>, saeId: string): Promise<SparseAutoencoder> {
  const row = await run.context.db.sparseAutoencoder.findUnique({ where: { id: saeId } });
  if (row === null || row.checkpointArtifactId === null) {
    throw inputError(`SAE ${saeId} is gone (deleted after the decomposition was asked for)`);
  }
  const bytes = await run.context.store.read(row.checkpointArtifactId);
  try {
    return importSparseAutoencoder(parseSafetensors(bytes), { config: row.config });
  } catch (error) {
    throw inputError(`SAE ${saeId}: its weights cannot be read (${(error as Error).message})`);
  }
}

/** The model's tokenizer (an artifact stored at import), for token text; null when it came without one. */
async function tokenTextOf(run: JobRun<'decompose'>, row: Model): Promise<TokenText | null> {
  const artifactId = (row.config as { tokenizer?: { artifactId?: unknown } | null }).tokenizer?.artifactId;
  if (typeof artifactId !== 'string') return null;
  const bytes = await run.context.store.read(artifactId).catch(() => null);
  if (bytes === null) {
    run.context.log.warn(
      `model ${row.id}: its tokenizer (artifact ${artifactId}) is missing; tokens go by id`,
    );
    return null;
  }
  const tokenizer = loadTokenizer(Buffer.from(bytes).toString('utf8'), 'tokenizer.json');
  return (token) => tokenizer.idToToken(token);
}
