import { type GeneratedStory, STORY_FACT_KINDS, type StoryFactKind } from './story-facts.js';

export interface StoryStatistics {
  stories: number;
  words: number;
  distinctWords: number;
  meanWords: number;
  minWords: number;
  maxWords: number;
  characters: number;
  /** Share of stories holding at least one fact of each kind. */
  storiesWith: Record<StoryFactKind, number>;
  /** Facts of each kind, all stories together. */
  facts: Record<StoryFactKind, number>;
  /** Share of stories with each pattern that is not a fact kind of its own. */
  storiesWithPattern: {
    /** A negated evaluation, "was not <adjective>". */
    negation: number;
    /** A toy named again with its colour after its first mention. */
    toyColourRecall: number;
    /** A second character (met during the story). */
    secondCharacter: number;
    /** Direct speech in double quotes. */
    dialogue: number;
    /** Starting "once upon a time,". */
    onceUponATime: number;
    /** Ending "the end.". */
    theEnd: number;
  };
  /** Evaluations by (negated, adjective polarity): the four cells the mood depends on. */
  evaluations: {
    plain: { positive: number; negative: number };
    negated: { positive: number; negative: number };
  };
  /** Counting facts whose numeral is "one". */
  countSingular: number;
}

const WORD = /[a-z]+/g;

/** Counts words (runs of a–z), distinct words and the planted facts over a stream of stories. */
export function measureStories(stories: Iterable<GeneratedStory>): StoryStatistics {
  const zero = () =>
    Object.fromEntries(STORY_FACT_KINDS.map((kind) => [kind, 0])) as Record<StoryFactKind, number>;
  const storiesWith = zero();
  const facts = zero();
  const vocabulary = new Set<string>();
  const evaluations = { plain: { positive: 0, negative: 0 }, negated: { positive: 0, negative: 0 } };
  let count = 0;
  let words = 0;
  let minWords = Number.POSITIVE_INFINITY;
  let maxWords = 0;
  let characters = 0;
  const storiesWithPattern = {
    negation: 0,
    toyColourRecall: 0,
    secondCharacter: 0,
    dialogue: 0,
    onceUponATime: 0,
    theEnd: 0,
  };
  let countSingular = 0;
  for (const story of stories) {
    count++;
    characters += story.text.length;
    const storyWords = story.text.match(WORD) ?? [];
    for (const word of storyWords) vocabulary.add(word);
    words += storyWords.length;
    minWords = Math.min(minWords, storyWords.length);
    maxWords = Math.max(maxWords, storyWords.length);
    const kinds = new Set<StoryFactKind>();
    let negation = false;
    let toyColourRecall = false;
    for (const fact of story.facts) {
      kinds.add(fact.kind);
      facts[fact.kind]++;
      if (fact.kind === 'evaluation') {
        evaluations[fact.negated ? 'negated' : 'plain'][fact.adjectivePolarity]++;
        negation ||= fact.negated;
      }
      if (fact.kind === 'count' && !fact.plural) countSingular++;
      if (fact.kind === 'toy-colour' && !fact.first) toyColourRecall = true;
    }
    for (const kind of kinds) storiesWith[kind]++;
    if (negation) storiesWithPattern.negation++;
    if (toyColourRecall) storiesWithPattern.toyColourRecall++;
    if (story.characters.length > 1) storiesWithPattern.secondCharacter++;
    if (story.text.includes('"')) storiesWithPattern.dialogue++;
    if (story.text.startsWith('once upon a time,')) storiesWithPattern.onceUponATime++;
    if (story.text.endsWith('the end.')) storiesWithPattern.theEnd++;
  }
  const share = (n: number) => (count === 0 ? 0 : n / count);
  for (const kind of STORY_FACT_KINDS) storiesWith[kind] = share(storiesWith[kind]);
  for (const key of Object.keys(storiesWithPattern) as (keyof typeof storiesWithPattern)[]) {
    storiesWithPattern[key] = share(storiesWithPattern[key]);
  }
  return {
    stories: count,
    words,
    distinctWords: vocabulary.size,
    meanWords: count === 0 ? 0 : words / count,
    minWords: count === 0 ? 0 : minWords,
    maxWords,
    characters,
    storiesWith,
    facts,
    storiesWithPattern,
    evaluations,
    countSingular,
  };
}
