// A language-model dataset's documents and the tokenizer trained on them (the reference recipe).
import { DEFAULT_STORY_SEED, iterateStories } from '../stories/index.js';
import {
  type TrainedWordPiece,
  trainWordPiece,
  trainWordPieceFromFile,
  type WordPieceTrainingProgress,
} from '../tokenizer/train-wordpiece.js';
import type { LanguageModelDataset } from './language-model-dataset.js';
import { readCorpusDocuments } from './read-corpus.js';

/** The documents of a dataset, streamed (a corpus file in file order, or the seeded stories). */
export function datasetDocuments(dataset: LanguageModelDataset): AsyncIterable<string> | Iterable<string> {
  if (dataset.kind === 'text') return readCorpusDocuments(dataset.path, dataset.read);
  return (function* () {
    for (const story of iterateStories({ seed: DEFAULT_STORY_SEED, count: dataset.count })) yield story.text;
  })();
}

/** A WordPiece tokenizer of at most `vocabSize` tokens trained on the dataset's documents. */
export function trainDatasetTokenizer(
  dataset: LanguageModelDataset,
  vocabSize: number,
  onProgress?: (progress: WordPieceTrainingProgress) => void,
): Promise<TrainedWordPiece> {
  const options = { vocabSize, ...(onProgress === undefined ? {} : { onProgress }) };
  return dataset.kind === 'text'
    ? trainWordPieceFromFile(dataset.path, { ...dataset.read, ...options })
    : trainWordPiece(datasetDocuments(dataset), options);
}
