// The decompose job for a language model: one layer's MLP along token directions (the tokens asked
// for, or the whole vocabulary) or an output SAE's features, optionally over an input SAE's features
// (DᵀQD), on the decomposition threads through the layer's output tensor, stored as it goes, 64
// outputs per transaction. The outputs are split into shards of 256 (DecompositionShard rows) that
// the decompose job and its decompose-shard helpers on other workers claim one at a time, so several
// workers share a long decomposition; the decompose job completes it once every shard is stored. A
// claim lapses when its job dies, and a retry decomposes only the outputs not yet stored, so nothing
// is done twice and nothing is missed.
import type { DecompositionRequest } from '@bilinear-lab/contracts';
import {
  DEFAULT_EXACTNESS_SAMPLES,
  type ImportModelOptions,
  type LanguageModel,
  type LanguageModelDirections,
  type OutputDecomposition,
  type SparseAutoencoder,
} from '@bilinear-lab/core';
import type { Model } from '@bilinear-lab/db';
import { loadTokenizer } from '@bilinear-lab/text';
import { decomposeInThreads, type PositionRange } from '@bilinear-lab/threads';
import { inputError, JobCancelledError } from '../jobs/job-errors.js';
import type { JobRun } from '../jobs/job-run.js';
import { readSae } from '../language-models/language-model-inputs.js';
import { eigenvectorRows, spectrumRows } from '../results/decomposition-rows.js';
import { type ClaimedShard, DecompositionShards } from '../results/decomposition-shards.js';

/** The decompose job (which completes the decomposition) or a decompose-shard job helping it. */
export type DecomposeRun = JobRun<'decompose'> | JobRun<'decompose-shard'>;

/** A token's text for labels, when the model came with a tokenizer. */
type TokenText = (token: number) => string | null;

/** Outputs per stored part: ~1.3 MB of rows for a d = 512 layer at top-k 8. */
const PART_OUTPUTS = 64;
/** How often the decompose job looks at shards other workers still hold. */
const SHARD_WAIT_MS = 1_000;
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
  run: DecomposeRun,
  job: LanguageModelDecomposition,
): Promise<{ decompositionId: string; outputs: number; rssBytes: number }> {
  const { db } = run.context;
  const { decompositionId, parameters, model } = job;
  const leads = run.queue === 'decompose';
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
  const shards = new DecompositionShards(db, decompositionId, run.jobId, tokens);
  await shards.plan();
  try {
    const tokenText = await tokenTextOf(run, job.row);
    const directions: LanguageModelDirections = saeOut
      ? { kind: 'sae-features', sae: saeOut, features: tokens }
      : {
          kind: 'tokens',
          tokens,
          ...(parameters.comparison ? { comparison: parameters.comparison } : {}),
        };
    const label = (output: OutputDecomposition) => {
      const text = saeOut ? null : tokenText?.(output.index);
      return text === null || text === undefined ? output.label : `${output.label} ${JSON.stringify(text)}`;
    };
    let storedHere = 0;
    const storedAtStart = await shards.storedCount();
    const fraction = () => (storedAtStart + storedHere) / tokens.length;
    if (storedAtStart > 0) {
      const by = run.attempt > 1 ? 'by an earlier attempt' : 'by other jobs';
      run.progress(fraction(), `${storedAtStart} of ${tokens.length} outputs already stored ${by}`);
    }

    /** Claims shards and decomposes them until none is left to claim; false when there was none. */
    const decomposeShards = async (): Promise<boolean> => {
      let shard = await shards.claim();
      if (shard === null) return false;
      // Parts are stored while the threads go on with the next outputs: one store at a time, so a
      // failed one stops the job at the next part, and memory holds at most two parts. A part never
      // spans two shards: the one that ends a shard marks it finished in the same transaction.
      let part: OutputDecomposition[] = [];
      let storing: Promise<void> = Promise.resolve();
      const store = async (decomposed: OutputDecomposition[], finishes: ClaimedShard | null) => {
        const outputs = decomposed.map((output) => ({ ...output, label: label(output) }));
        const spectra = spectrumRows(decompositionId, { outputs });
        const eigenvectors = eigenvectorRows(decompositionId, { outputs }, parameters.topK);
        await run.throwIfCancelled(`after ${storedAtStart + storedHere} of ${tokens.length} outputs`);
        await run.storePart(async (tx) => {
          if (!leads && !(await shards.decompositionGoesOn(tx))) {
            throw new JobCancelledError(
              'the decomposition stopped (cancelled or failed) while this job helped',
            );
          }
          // skipDuplicates: a retry of a part whose transaction did reach the server writes nothing twice.
          await tx.spectrum.createMany({ data: spectra, skipDuplicates: true });
          await tx.eigenvectors.createMany({ data: eigenvectors, skipDuplicates: true });
          if (finishes) await shards.finish(tx, finishes);
        });
        storedHere += outputs.length;
        // The bar is the decomposition's: what other jobs stored counts too.
        const stored = await shards.storedCount();
        run.progress(stored / tokens.length, `stored ${stored} of ${tokens.length} outputs`);
      };
      const storePart = async (finishes: ClaimedShard | null) => {
        const decomposed = part;
        part = [];
        await storing;
        storing = store(decomposed, finishes);
        // Awaited by the next part or at the end; until then a failure must not count as unhandled.
        storing.catch(() => {});
      };
      let first: ClaimedShard | null = shard;
      try {
        await decomposeInThreads({
          modelBytes: job.modelBytes,
          importOptions: job.importOptions,
          ...(run.context.env.decomposeThreads > 0 ? { threads: run.context.env.decomposeThreads } : {}),
          options: {
            layer: parameters.layer ?? 0,
            directions,
            ...(saeIn ? { inputFeatures: saeIn } : {}),
            topK: parameters.topK,
            exactnessSamples: DEFAULT_EXACTNESS_SAMPLES,
            readingEntries: READING_ENTRIES,
            // A token-space vector is V values; its reading is what is stored.
            inputVectors: false,
          },
          onProgress: (done, _total, what) => {
            if (done === 0) run.progress(fraction(), what);
          },
          claim: async (): Promise<PositionRange | null> => {
            // The last shard's finishing part first: until it commits, the shard is still this job's claim.
            await storing;
            const next = first ?? (await shards.claim());
            first = null;
            if (next === null) return null;
            shard = next;
            return { first: next.todoFirst, count: next.end - next.todoFirst };
          },
          onOutput: async (output, position) => {
            const held = shard as ClaimedShard;
            part.push(output);
            if (position === held.end - 1) await storePart(held);
            else if (part.length >= PART_OUTPUTS) await storePart(null);
          },
        });
        await storing;
      } catch (error) {
        const name = (error as Error).name;
        if (
          name === 'DecompositionInputError' ||
          name === 'ModelLayoutError' ||
          name === 'ModelConfigError'
        ) {
          throw inputError(`cannot decompose this model: ${(error as Error).message}`);
        }
        throw error;
      }
      return true;
    };

    if (!leads) {
      // A helper takes what is left and goes; the decompose job completes the decomposition.
      if (!(await decomposeShards())) run.progress(1, 'no shard was left to take');
      await run.commit(async () => {});
      return { decompositionId, outputs: storedHere, rssBytes: process.memoryUsage().rss };
    }
    for (;;) {
      await decomposeShards();
      const open = await shards.unfinished();
      if (open === 0) break;
      // Shards other workers hold: wait for them, and take over any whose job died (its claim lapses).
      await run.throwIfCancelled(`waiting for ${open} shards on other workers`);
      const stored = await shards.storedCount();
      run.progress(
        stored / tokens.length,
        `${stored} of ${tokens.length} outputs stored; ${open} shards on other workers`,
      );
      await new Promise((resolve) => setTimeout(resolve, SHARD_WAIT_MS));
    }
    const stored = await shards.storedCount();
    if (stored !== tokens.length) {
      throw new Error(`every shard is finished, but ${stored} of ${tokens.length} outputs are stored`);
    }
    await run.commit(async (tx) => {
      await tx.decomposition.update({
        where: { id: decompositionId },
        data: { status: 'completed', error: null, completedAt: new Date() },
      });
    });
    return { decompositionId, outputs: tokens.length, rssBytes: process.memoryUsage().rss };
  } finally {
    shards.close();
  }
}

/** An attached SAE, read from its artifact with the config.json it came with. */
async function loadSae(run: DecomposeRun, saeId: string): Promise<SparseAutoencoder> {
  const row = await run.context.db.sparseAutoencoder.findUnique({ where: { id: saeId } });
  if (row === null) throw inputError(`SAE ${saeId} is gone (deleted after the decomposition was asked for)`);
  return readSae(run.context, row);
}

/** The model's tokenizer (an artifact stored at import), for token text; null when it came without one. */
async function tokenTextOf(run: DecomposeRun, row: Model): Promise<TokenText | null> {
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
