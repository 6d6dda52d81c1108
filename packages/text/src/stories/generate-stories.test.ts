import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STORY_SEED,
  generateStories,
  generateStoriesWithFacts,
  iterateStories,
} from './generate-stories.js';
import { storyCorpus } from './story-corpus.js';
import { PRONOUNS, STORY_VOCABULARY } from './story-vocabulary.js';

describe('generateStories', () => {
  it('gives the same text for the same seed and different text for different seeds', () => {
    const a = generateStories({ seed: 7, count: 200 });
    const b = generateStories({ seed: 7, count: 200 });
    const c = generateStories({ seed: 8, count: 200 });
    expect(a).toEqual(b);
    expect(a).toHaveLength(200);
    const same = a.filter((text, i) => text === c[i]).length;
    expect(same).toBeLessThan(5);
    // Few stories repeat within one stream either.
    expect(new Set(a).size).toBeGreaterThan(195);
  });

  it('gives story i the same text whatever the count', () => {
    const short = generateStories({ seed: 3, count: 10 });
    const long = generateStories({ seed: 3, count: 50 });
    expect(long.slice(0, 10)).toEqual(short);
  });

  // Pinned so the corpus only changes on purpose (the README's statistics describe this exact stream): the
  // generator uses integer arithmetic and Mulberry32 only, so these hold on every machine.
  it('keeps the default stream fixed', () => {
    const [first] = generateStories({ seed: DEFAULT_STORY_SEED, count: 1 });
    expect(first).toBe(PINNED_FIRST_STORY);
    const digest = createHash('sha256')
      .update(storyCorpus({ seed: DEFAULT_STORY_SEED, count: 1000 }))
      .digest('hex');
    expect(digest).toBe(PINNED_CORPUS_SHA256);
  });

  it('rejects seeds and counts that are not integers', () => {
    expect(() => generateStories({ seed: 1.5, count: 1 })).toThrow(/seed/);
    expect(() => generateStories({ seed: 1, count: -1 })).toThrow(/count/);
    expect(() => generateStories({ seed: Number.NaN, count: 1 })).toThrow(/seed/);
    expect(generateStories({ seed: -5, count: 0 })).toEqual([]);
  });

  it('writes one line of lower-case ASCII words and . , ! ? " per story, single-spaced', () => {
    for (const text of generateStories({ seed: 11, count: 2000 })) {
      expect(text).toMatch(/^[a-z .,!?"]+$/);
      expect(text).not.toMatch(/ {2}|^ | $/);
      expect(text).toMatch(/[.!?"]$/);
      // Punctuation sticks to the word before it.
      expect(text).not.toMatch(/ [.,!?]/);
      expect(text.split('"').length % 2).toBe(1);
    }
  });

  it('uses only words of the documented vocabulary, and all of them', () => {
    const vocabulary = new Set(STORY_VOCABULARY);
    const used = new Set<string>();
    for (const text of generateStories({ seed: DEFAULT_STORY_SEED, count: 20_000 })) {
      for (const word of text.match(/[a-z]+/g) ?? []) used.add(word);
    }
    expect([...used].filter((word) => !vocabulary.has(word))).toEqual([]);
    expect(STORY_VOCABULARY.filter((word) => !used.has(word))).toEqual([]);
    expect(STORY_VOCABULARY.every((word) => /^[a-z]+$/.test(word))).toBe(true);
  });

  it('records facts whose offsets point at the words they name', () => {
    const wordAt = (text: string, at: number) => /^[a-z]+/.exec(text.slice(at))?.[0];
    for (const story of generateStoriesWithFacts({ seed: 5, count: 1000 })) {
      const { text } = story;
      for (const c of story.characters) expect(wordAt(text, c.introducedAt)).toBe(c.name);
      for (const fact of story.facts) {
        switch (fact.kind) {
          case 'evaluation':
            expect(wordAt(text, fact.subjectAt)).toBe(fact.subject);
            expect(wordAt(text, fact.adjectiveAt)).toBe(fact.adjective);
            expect(wordAt(text, fact.moodAt)).toBe(fact.mood);
            expect(fact.notAt === null ? null : wordAt(text, fact.notAt)).toBe(fact.negated ? 'not' : null);
            break;
          case 'pronoun':
            expect(wordAt(text, fact.at)).toBe(fact.pronoun);
            expect(fact.pronoun).toBe(PRONOUNS[fact.referentKind][fact.form]);
            expect(fact.referentAt).toBeLessThan(fact.at);
            break;
          case 'mention':
            expect(wordAt(text, fact.at)).toBe(fact.name);
            expect(fact.introducedAt).toBeLessThan(fact.at);
            break;
          case 'count':
            expect(wordAt(text, fact.numeralAt)).toBe(fact.numeral);
            expect(wordAt(text, fact.nounAt)).toBe(fact.noun);
            for (const verb of fact.verbs) expect(wordAt(text, verb.at)).toBe(verb.word);
            break;
          case 'toy-colour':
            expect(wordAt(text, fact.colourAt)).toBe(fact.colour);
            expect(wordAt(text, fact.toyAt)).toBe(fact.toy);
            expect(wordAt(text, fact.firstColourAt)).toBe(fact.colour);
            expect(
              fact.first ? fact.firstColourAt === fact.colourAt : fact.firstColourAt < fact.colourAt,
            ).toBe(true);
            break;
          case 'fixed-colour':
            expect(wordAt(text, fact.thingAt)).toBe(fact.thing);
            expect(wordAt(text, fact.colourAt)).toBe(fact.colour);
            break;
          case 'opposite':
            expect(wordAt(text, fact.adjectiveAt)).toBe(fact.adjective);
            expect(wordAt(text, fact.oppositeAt)).toBe(fact.opposite);
            break;
        }
      }
    }
  });

  it('streams 100 000 stories (speed printed, not asserted)', () => {
    const started = performance.now();
    let words = 0;
    for (const story of iterateStories({ seed: DEFAULT_STORY_SEED, count: 100_000 })) {
      words += story.text.split(' ').length;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `100000 stories, ${words} words in ${seconds.toFixed(2)} s (${Math.round(100_000 / seconds)} stories/s)`,
    );
    expect(words).toBeGreaterThan(0);
  });
});

const PINNED_FIRST_STORY = [
  'there was once a brave hen. it liked to plant flowers. mom gave the hen some soup. ',
  'the soup was yummy. the hen laughed. the hen found a basket and a bucket. ',
  'the basket was heavy, but the bucket was light. it sang a song. the song was not fun. ',
  'the hen cried. one sunny morning, the hen went to the town. the town was nice. ',
  'the hen laughed. the hen wanted to draw pictures. the hen met a boy named dan. ',
  'he was new in town. "do you want to play with me?" asked the hen. "hello, dan!" said the hen. ',
  'the hen and dan played together all day. dan found a black blanket. ',
  'the hen was tired, so it went home and slept. the end.',
].join('');
const PINNED_CORPUS_SHA256 = '46a0de836912240fe4e18e507d1b641aadd3da4787e1350f4a2c344e4faee2e6';
