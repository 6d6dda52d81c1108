import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { iterateStories, type StoryOptions } from './generate-stories.js';

/**
 * The corpus file format (the reference corpus's): documents separated by one blank line, a newline at the end,
 * i.e. `stories.join('\n\n') + '\n'`. Each story is one line.
 */
export function* storyCorpusChunks(options: StoryOptions): Generator<string, void, undefined> {
  let first = true;
  for (const story of iterateStories(options)) {
    yield first ? `${story.text}\n` : `\n${story.text}\n`;
    first = false;
  }
}

/** The whole corpus as one string (for small counts; use `writeStoryCorpus` for large ones). */
export function storyCorpus(options: StoryOptions): string {
  let text = '';
  for (const chunk of storyCorpusChunks(options)) text += chunk;
  return text;
}

/** The documents of a corpus file: its blank-line-separated blocks, trimmed, empty ones dropped. */
export function splitCorpusDocuments(corpus: string): string[] {
  return corpus
    .split(/\n[ \t]*\n/)
    .map((document) => document.trim())
    .filter((document) => document.length > 0);
}

/**
 * Writes the corpus to a stream in batches of about `batchBytes`, waiting for 'drain' when the stream asks, so
 * memory stays bounded for any count. Does not end the stream. Resolves with what was written.
 */
export async function writeStoryCorpus(
  stream: Writable,
  options: StoryOptions & { batchBytes?: number },
): Promise<{ stories: number; bytes: number }> {
  const batchBytes = options.batchBytes ?? 1 << 16;
  let batch = '';
  let bytes = 0;
  let stories = 0;
  const flush = async () => {
    bytes += batch.length; // ASCII: one byte per character
    const accepted = stream.write(batch);
    batch = '';
    if (!accepted) await once(stream, 'drain');
  };
  for (const chunk of storyCorpusChunks(options)) {
    batch += chunk;
    stories++;
    if (batch.length >= batchBytes) await flush();
  }
  if (batch.length > 0) await flush();
  return { stories, bytes };
}
