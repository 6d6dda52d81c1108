import { stat } from 'node:fs/promises';
import {
  trainWordPieceFromFile,
  WORDPIECE_SPECIAL_TOKENS,
  type WordPieceTrainingProgress,
} from '@bilinear-lab/text';
import type { Command } from 'commander';
import { CliInputError, inputAt } from '../errors.js';
import { formatBytes, formatInteger } from '../format.js';
import { wholeNumber } from '../options.js';
import { checkWritableTarget, note, writeFileAtomic } from '../output.js';
import { progressBar } from '../progress.js';
import { tokenizerInput } from '../tokenizer-input.js';

interface TrainTokenizerOptions {
  corpus: string;
  vocab: number;
  out: string;
}

/** `bilinear tokenizer …`: tokenizers for the language-model work. */
export function registerTokenizer(program: Command): void {
  const tokenizer = program.command('tokenizer').description('tokenizers for language models: train one');
  tokenizer
    .command('train')
    .description(
      'train a WordPiece tokenizer by the reference recipe (lower case, NFD + strip accents; punctuation, ' +
        `whitespace, single digits; "[BOS] $A"; specials ${WORDPIECE_SPECIAL_TOKENS.join(' ')} = 0, 1, 2) ` +
        'and write the tokenizer.json HF tokenizers loads',
    )
    .requiredOption(
      '--corpus <file>',
      'a text file, documents separated by blank lines or <|endoftext|> (or .jsonl with a "text" field; .gz too), read as a stream',
    )
    .requiredOption('--vocab <n>', 'vocabulary size, the 3 specials included', wholeNumber(1))
    .requiredOption('--out <tokenizer.json>', 'where to write the tokenizer (atomically: all or nothing)')
    .action(async (options: TrainTokenizerOptions) => {
      const { corpus, vocab, out } = options;
      await checkWritableTarget(out);
      const info = await inputAt(corpus, () => stat(corpus));
      if (!info.isFile()) throw new CliInputError(`${corpus}: not a regular file`);

      const started = performance.now();
      const counting = progressBar('counting words');
      const merging = progressBar('merging');
      let phase: WordPieceTrainingProgress['phase'] = 'count';
      const onProgress = (step: WordPieceTrainingProgress) => {
        if (step.phase === 'count') {
          // A .gz file's text outgrows its size: the bar then waits at its end.
          const done = Math.min(step.bytesRead, step.totalBytes - 1);
          counting.update(done, step.totalBytes, `${formatInteger(step.distinctWords)} words`);
          return;
        }
        if (phase === 'count') {
          phase = 'merge';
          counting.stop();
        }
        merging.update(step.vocabularySize, step.target, 'tokens');
      };
      let trained: Awaited<ReturnType<typeof trainWordPieceFromFile>>;
      try {
        trained = await tokenizerInput(() =>
          inputAt(corpus, () => trainWordPieceFromFile(corpus, { vocabSize: vocab, onProgress })),
        );
      } finally {
        counting.stop();
        merging.stop();
      }
      await inputAt(out, () => writeFileAtomic(out, trained.json));

      const seconds = (performance.now() - started) / 1000;
      const size = trained.vocabulary.length;
      note(
        `bilinear: read ${formatBytes(info.size)} from ${corpus}: ${formatInteger(trained.distinctWords)} distinct words`,
      );
      if (size < vocab) {
        note(
          `bilinear: the corpus ran out of pairs to merge at ${formatInteger(size)} tokens (asked for ${formatInteger(vocab)})`,
        );
      }
      note(
        `bilinear: wrote ${out} (vocabulary ${formatInteger(size)}: ${formatInteger(trained.initialSize)} specials, ` +
          `characters and ## pieces, ${formatInteger(size - trained.initialSize)} merged) in ${seconds.toFixed(2)} s`,
      );
    });
}
