import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { generateStories } from './generate-stories.js';
import { splitCorpusDocuments, storyCorpus, storyCorpusChunks, writeStoryCorpus } from './story-corpus.js';

describe('story corpus files', () => {
  it('separates stories by one blank line and ends with a newline, like the reference corpus', () => {
    const stories = generateStories({ seed: 4, count: 50 });
    const corpus = storyCorpus({ seed: 4, count: 50 });
    expect(corpus).toBe(`${stories.join('\n\n')}\n`);
    expect(corpus).not.toMatch(/\n\n\n/);
    expect(splitCorpusDocuments(corpus)).toEqual(stories);
    expect([...storyCorpusChunks({ seed: 4, count: 50 })]).toHaveLength(50);
    expect(storyCorpus({ seed: 4, count: 0 })).toBe('');
  });

  it('writes the same bytes to a file stream in batches', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'stories-'));
    try {
      const path = join(folder, 'corpus.txt');
      const stream = createWriteStream(path);
      const written = await writeStoryCorpus(stream, { seed: 9, count: 1000, batchBytes: 4096 });
      stream.end();
      await finished(stream);
      const text = readFileSync(path, 'latin1');
      expect(text).toBe(storyCorpus({ seed: 9, count: 1000 }));
      expect(written).toEqual({ stories: 1000, bytes: text.length });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
