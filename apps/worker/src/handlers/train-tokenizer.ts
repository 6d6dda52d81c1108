// The tokenizer-train job: what `bilinear tokenizer train` does (the text package's WordPiece trainer
// over the corpus's documents, streamed), on a corpus of the platform (the bundled stories or an
// upload, opened by openLanguageModelCorpus), with its counting and merging as progress; the
// tokenizer.json is stored as an artifact and its Tokenizer row written in the job's commit.
import { type Database, PostgresArtifactStore } from '@bilinear-lab/db';
import { TokenizerError, trainDatasetTokenizer, type WordPieceTrainingProgress } from '@bilinear-lab/text';
import { openLanguageModelCorpus } from '../datasets/open-corpus.js';
import { inputError } from '../jobs/job-errors.js';
import type { JobRun } from '../jobs/job-run.js';

/** Share of the bar for counting the corpus's words (the merges take the rest). */
const COUNT_SHARE = 0.5;

export interface TokenizerTrainResult {
  tokenizerId: string;
  vocabSize: number;
  sha256: string;
}

export async function trainTokenizerJob(run: JobRun<'tokenizer-train'>): Promise<TokenizerTrainResult> {
  const { payload } = run;
  const corpus = await openLanguageModelCorpus(run.context, payload.dataset, {
    projectId: payload.projectId,
  });
  try {
    run.progress(0, `counting the words of ${payload.dataset}`);
    let lastPhase: WordPieceTrainingProgress['phase'] = 'count';
    const onProgress = (progress: WordPieceTrainingProgress) => {
      if (progress.phase === 'count') {
        const share = progress.totalBytes > 0 ? progress.bytesRead / progress.totalBytes : 0;
        run.progress(
          COUNT_SHARE * Math.min(1, share),
          `${progress.documents} documents read, ${progress.distinctWords} distinct words`,
        );
        return;
      }
      if (lastPhase === 'count') {
        lastPhase = 'merge';
        run.emit({ type: 'log', level: 'info', message: `merging subwords up to ${progress.target} tokens` });
      }
      run.progress(
        COUNT_SHARE + (1 - COUNT_SHARE) * Math.min(1, progress.vocabularySize / progress.target) * 0.99,
        `${progress.vocabularySize} of ${progress.target} tokens`,
      );
    };
    let trained: Awaited<ReturnType<typeof trainDatasetTokenizer>>;
    try {
      trained = await trainDatasetTokenizer(corpus.dataset, payload.vocab, onProgress);
    } catch (error) {
      if (error instanceof TokenizerError) throw inputError(`dataset ${payload.dataset}: ${error.message}`);
      throw error;
    }
    await run.throwIfCancelled('after the tokenizer was trained');
    const bytes = new Uint8Array(Buffer.from(trained.json, 'utf8'));
    let sha256 = '';
    await run.commit(async (tx) => {
      const store = new PostgresArtifactStore(tx as unknown as Database);
      const artifact = await store.put(bytes, {
        kind: 'tokenizer',
        fileName: 'tokenizer.json',
        contentType: 'application/json',
      });
      sha256 = artifact.sha256;
      const job = await tx.job.findUnique({ where: { id: run.jobId }, select: { createdById: true } });
      await tx.tokenizer.create({
        data: {
          id: payload.tokenizerId,
          projectId: payload.projectId,
          name: payload.name,
          source: 'trained',
          vocabSize: trained.vocabulary.length,
          artifactId: artifact.id,
          sha256: artifact.sha256,
          dataset: payload.dataset,
          jobId: run.jobId,
          createdById: job?.createdById ?? null,
        },
      });
    });
    return { tokenizerId: payload.tokenizerId, vocabSize: trained.vocabulary.length, sha256 };
  } finally {
    await corpus.close();
  }
}
