import { describe, expect, it } from 'vitest';
import { DEFAULT_STORY_SEED, generateStories, iterateStories } from './generate-stories.js';
import { PLANTED_PATTERNS } from './planted-patterns.js';
import { measureStories } from './story-statistics.js';
import {
  ANIMALS,
  BOY_NAMES,
  CHARACTER_ADJECTIVES,
  COLOURS,
  COUNT_NOUNS,
  EVALUATIVE_ADJECTIVES,
  FIXED_COLOURS,
  GIRL_NAMES,
  MOOD_PHRASES,
  MOOD_TOKENS,
  OPPOSITES,
  PRONOUNS,
  TOYS,
} from './story-vocabulary.js';

// These checks read the text only, with regular expressions written from the documented patterns, so they
// hold the generator to the README rather than to its own facts.
const STORIES = generateStories({ seed: DEFAULT_STORY_SEED, count: 5000 });
const alternatives = (words: Iterable<string>) => [...words].join('|');
const ACTOR = `(?:${alternatives([...GIRL_NAMES, ...BOY_NAMES, 'he', 'she', 'it'])}|the (?:${alternatives(ANIMALS)}))`;
const moodPhrase = (polarity: 'positive' | 'negative') =>
  alternatives(MOOD_PHRASES[polarity].map(([p]) => p));

function wordsOf(text: string): string[] {
  return text.match(/[a-z]+/g) ?? [];
}

describe('planted patterns', () => {
  it('follows every evaluation with a mood that agrees with (not, adjective), and says "not" nowhere else', () => {
    const evaluation = new RegExp(
      `the ([a-z]+) was (not )?(${alternatives(Object.keys(EVALUATIVE_ADJECTIVES))})\\.(?= ([^.!?"]*)\\.)`,
      'g',
    );
    const moods = {
      positive: new RegExp(`^${ACTOR} (?:${moodPhrase('positive')})$`),
      negative: new RegExp(`^${ACTOR} (?:${moodPhrase('negative')})$`),
    };
    const moodTokens = new Set([...MOOD_TOKENS.positive, ...MOOD_TOKENS.negative]);
    const cells = { 'not good': 0, 'not bad': 0, good: 0, bad: 0 };
    for (const text of STORIES) {
      let negations = 0;
      let evaluations = 0;
      let adjectivesThatAreMoods = 0;
      for (const match of text.matchAll(evaluation)) {
        const [, , not, adjective = '', next] = match;
        const adjectivePolarity = EVALUATIVE_ADJECTIVES[adjective];
        const polarity = not
          ? adjectivePolarity === 'positive'
            ? 'negative'
            : 'positive'
          : adjectivePolarity;
        expect(next, `${match[0]} in: ${text}`).toMatch(moods[polarity ?? 'positive']);
        evaluations++;
        if (not) negations++;
        if (moodTokens.has(adjective)) adjectivesThatAreMoods++;
        if (adjective === 'good' || adjective === 'bad') cells[`${not ? 'not ' : ''}${adjective}`]++;
      }
      const words = wordsOf(text);
      expect(words.filter((word) => word === 'not')).toHaveLength(negations);
      // Mood words appear only in the sentence after an evaluation (and as the adjectives happy/sad of one).
      expect(words.filter((word) => moodTokens.has(word))).toHaveLength(evaluations + adjectivesThatAreMoods);
      expect(evaluations).toBeGreaterThanOrEqual(1);
    }
    for (const count of Object.values(cells)) expect(count).toBeGreaterThan(300);
  });

  it('starts the sentence after an introduction with the agreeing pronoun, one character per pronoun', () => {
    const person = /(girl|boy) named ([a-z]+)\. ([a-z]+) /g;
    const animal = new RegExp(
      `(?:there was(?: once)?|met) an? (?:${alternatives(CHARACTER_ADJECTIVES)}) (${alternatives(ANIMALS)})\\. ([a-z]+) `,
      'g',
    );
    for (const text of STORIES) {
      const introduced: Record<string, number> = {};
      for (const [, kind = '', , pronoun] of text.matchAll(person)) {
        expect(pronoun).toBe(kind === 'girl' ? 'she' : 'he');
        introduced[kind] = (introduced[kind] ?? 0) + 1;
      }
      for (const [, , pronoun] of text.matchAll(animal)) {
        expect(pronoun).toBe('it');
        introduced.animal = (introduced.animal ?? 0) + 1;
      }
      for (const count of Object.values(introduced)) expect(count).toBe(1);
      const total = Object.values(introduced).reduce((a, b) => a + b, 0);
      expect(total === 1 || total === 2).toBe(true);
      // A pronoun is only ever used for a kind of character the story has introduced.
      const words = new Set(wordsOf(text));
      const used = (kind: keyof typeof PRONOUNS) => Object.values(PRONOUNS[kind]).some((p) => words.has(p));
      expect(used('girl')).toBe(introduced.girl === 1);
      expect(used('boy')).toBe(introduced.boy === 1);
      if (used('animal')) expect(introduced.animal).toBe(1);
      if (used('group')) expect(total).toBe(2);
    }
  });

  it('names the main character again after introducing it', () => {
    for (const text of STORIES) {
      const name = /named ([a-z]+)\./.exec(text)?.[1];
      const animal =
        /^(?:once upon a time, there was|there was once|one day, there was) an? (?:[a-z]+ )?([a-z]+)\./;
      const first = /^[^.]*?(?:girl|boy) named ([a-z]+)\./.exec(text)?.[1] ?? animal.exec(text)?.[1];
      expect(first, text).toBeDefined();
      const pattern = new RegExp(`\\b${first}\\b`, 'g');
      expect([...text.matchAll(pattern)].length, text).toBeGreaterThanOrEqual(2);
      expect(name === undefined || text.includes(name)).toBe(true);
    }
  });

  it('puts singular nouns after "one" and plural ones after two to five, with was/were agreeing', () => {
    const plurals = new Set(Object.values(COUNT_NOUNS));
    const singulars = new Set(Object.keys(COUNT_NOUNS));
    let counted = 0;
    for (const text of STORIES) {
      for (const [, numeral, noun = ''] of text.matchAll(/\b(one|two|three|four|five) ([a-z]+)/g)) {
        if (singulars.has(noun)) expect(numeral).toBe('one');
        if (plurals.has(noun)) expect(numeral).not.toBe('one');
        if (singulars.has(noun) || plurals.has(noun)) counted++;
      }
      for (const [, verb, numeral] of text.matchAll(/there (was|were) (one|two|three|four|five) /g)) {
        expect(verb).toBe(numeral === 'one' ? 'was' : 'were');
      }
      for (const [, noun = '', verb] of text.matchAll(/(?<!and )the ([a-z]+) (was|were)\b/g)) {
        if (plurals.has(noun)) expect(verb, text).toBe('were');
        if (singulars.has(noun)) expect(verb, text).toBe('was');
      }
    }
    expect(counted).toBeGreaterThan(1000);
  });

  it('writes every toy with the colour of its first mention, and fixed things in their fixed colour', () => {
    const toy = new RegExp(`\\b([a-z]+) (${alternatives(TOYS)})\\b`, 'g');
    const colours = new Set<string>(COLOURS);
    for (const text of STORIES) {
      const colourOf = new Map<string, string>();
      let toys = 0;
      for (const [, colour = '', name = ''] of text.matchAll(toy)) {
        expect(colours.has(colour), `${colour} ${name} in: ${text}`).toBe(true);
        expect(colourOf.get(name) ?? colour).toBe(colour);
        colourOf.set(name, colour);
        toys++;
      }
      // Every toy word is preceded by its colour.
      expect(wordsOf(text).filter((word) => (TOYS as readonly string[]).includes(word))).toHaveLength(toys);
      expect(new Set(colourOf.values()).size).toBe(colourOf.size);
      for (const [, thing = '', colour] of text.matchAll(
        new RegExp(`the ([a-z]+) was (${alternatives(COLOURS)})\\b`, 'g'),
      )) {
        expect(FIXED_COLOURS[thing]).toBe(colour);
      }
    }
  });

  it('follows "the x was a, but the y was" with the opposite of a', () => {
    const opposite = new Map<string, string>();
    for (const { pair } of OPPOSITES) {
      opposite.set(pair[0], pair[1]);
      opposite.set(pair[1], pair[0]);
    }
    let seen = 0;
    for (const text of STORIES) {
      const buts = text.split(', but ').length - 1;
      const matches = [...text.matchAll(/the [a-z]+ was ([a-z]+), but the [a-z]+ was ([a-z]+)\./g)];
      expect(matches).toHaveLength(buts);
      for (const [, first = '', second] of matches) expect(opposite.get(first)).toBe(second);
      seen += buts;
    }
    expect(seen).toBeGreaterThan(1000);
  });

  it('plants each pattern in the share of stories the design gives', () => {
    const statistics = measureStories(iterateStories({ seed: DEFAULT_STORY_SEED, count: 5000 }));
    const measured: Record<string, number> = {
      negation: statistics.storiesWith.evaluation,
      negated: statistics.storiesWithPattern.negation,
      'pronoun-after-introduction': statistics.storiesWith.pronoun,
      'name-mention': statistics.storiesWith.mention,
      count: statistics.storiesWith.count,
      'fixed-colour': statistics.storiesWith['fixed-colour'],
      opposite: statistics.storiesWith.opposite,
      dialogue: statistics.storiesWithPattern.dialogue,
    };
    for (const pattern of PLANTED_PATTERNS) {
      if (pattern.storyShare === null) continue;
      expect(measured[pattern.id], pattern.id).toBeCloseTo(pattern.storyShare, 1);
      expect(Math.abs((measured[pattern.id] ?? 0) - pattern.storyShare), pattern.id).toBeLessThan(0.03);
    }
    // The four (not?, polarity) cells are equally likely.
    const { plain, negated } = statistics.evaluations;
    const cells = [plain.positive, plain.negative, negated.positive, negated.negative];
    const total = cells.reduce((a, b) => a + b, 0);
    for (const cell of cells) expect(Math.abs(cell / total - 0.25)).toBeLessThan(0.02);
    expect(statistics.storiesWithPattern.onceUponATime).toBeCloseTo(0.65, 1);
    expect(statistics.storiesWithPattern.theEnd).toBeCloseTo(0.6, 1);
    expect(statistics.storiesWithPattern.secondCharacter).toBeCloseTo(0.6, 1);
    console.log(JSON.stringify(statistics));
  });
});
