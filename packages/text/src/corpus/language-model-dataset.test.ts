import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STORIES,
  isLanguageModelDataset,
  LanguageModelDatasetError,
  parseLanguageModelDataset,
} from './language-model-dataset.js';

describe('parseLanguageModelDataset', () => {
  it('reads a corpus file and the bundled stories', () => {
    expect(parseLanguageModelDataset('text:a/b.txt')).toEqual({ kind: 'text', path: 'a/b.txt' });
    expect(parseLanguageModelDataset('stories')).toEqual({ kind: 'stories', count: DEFAULT_STORIES });
    expect(parseLanguageModelDataset('stories:500')).toEqual({ kind: 'stories', count: 500 });
  });

  it('says what is wrong with a spec', () => {
    expect(() => parseLanguageModelDataset('text:')).toThrow('text:: name the corpus file');
    expect(() => parseLanguageModelDataset('stories:0')).toThrow(LanguageModelDatasetError);
    expect(() => parseLanguageModelDataset('stories:x')).toThrow('stories:<count> takes a whole number');
    expect(() => parseLanguageModelDataset('mnist')).toThrow('not a language-model corpus');
  });

  it('tells language-model corpora from image datasets', () => {
    expect(['text:x', 'stories', 'stories:3'].every(isLanguageModelDataset)).toBe(true);
    expect(['mnist', 'toy', 'storiesx'].some(isLanguageModelDataset)).toBe(false);
  });
});
