import type {
  CharacterKind,
  EvaluationDomain,
  Polarity,
  PronounForm,
  ReferentKind,
} from './story-vocabulary.js';

/** Offsets (`…At`) are character offsets into the story's text, each the start of the word named. */

/** `the <subject> was [not] <adjective>. <actor> <mood phrase>.` */
export interface EvaluationFact {
  kind: 'evaluation';
  domain: EvaluationDomain;
  subject: string;
  negated: boolean;
  adjective: string;
  adjectivePolarity: Polarity;
  /** The statement's polarity (the adjective's, flipped by "not"), which the mood token always shares. */
  polarity: Polarity;
  /** Who feels the mood: a character's name (an animal's noun). */
  actor: string;
  mood: string;
  subjectAt: number;
  notAt: number | null;
  adjectiveAt: number;
  moodAt: number;
}

/** A pronoun and the character (or the two characters, "they") it refers to. */
export interface PronounFact {
  kind: 'pronoun';
  pronoun: string;
  form: PronounForm;
  referent: string;
  referentKind: ReferentKind;
  at: number;
  /** Where the referent was introduced (the first character's introduction for "they"). */
  referentAt: number;
}

/** A character named again after its introduction ("lily" … "lily"; "a little fox" … "the fox"). */
export interface MentionFact {
  kind: 'mention';
  name: string;
  characterKind: CharacterKind;
  introducedAt: number;
  at: number;
}

/** `<numeral> <noun>` with the noun plural exactly when the numeral is not "one", and the was/were that agree. */
export interface CountFact {
  kind: 'count';
  numeral: string;
  count: number;
  noun: string;
  plural: boolean;
  numeralAt: number;
  nounAt: number;
  /** "there was|were …" before the numeral and "the <noun> was|were …" after it, where written. */
  verbs: { word: 'was' | 'were'; at: number }[];
}

/** A toy written with its colour: the first mention (`first`) fixes the colour every later mention repeats. */
export interface ToyColourFact {
  kind: 'toy-colour';
  toy: string;
  colour: string;
  owner: string;
  first: boolean;
  colourAt: number;
  toyAt: number;
  /** Where the colour was first written in this story. */
  firstColourAt: number;
}

/** `the <thing> was <colour>.` with the colour fixed for the thing in every story. */
export interface FixedColourFact {
  kind: 'fixed-colour';
  thing: string;
  colour: string;
  thingAt: number;
  colourAt: number;
}

/** `the <first> was <adjective>, but the <second> was <opposite>.` */
export interface OppositeFact {
  kind: 'opposite';
  first: string;
  second: string;
  adjective: string;
  opposite: string;
  adjectiveAt: number;
  oppositeAt: number;
}

export type StoryFact =
  | EvaluationFact
  | PronounFact
  | MentionFact
  | CountFact
  | ToyColourFact
  | FixedColourFact
  | OppositeFact;
export type StoryFactKind = StoryFact['kind'];
export const STORY_FACT_KINDS: readonly StoryFactKind[] = [
  'evaluation',
  'pronoun',
  'mention',
  'count',
  'toy-colour',
  'fixed-colour',
  'opposite',
];

export interface StoryCharacter {
  /** A person's name, or an animal's noun ("fox" for "a little fox", later "the fox"). */
  name: string;
  kind: CharacterKind;
  introducedAt: number;
}

export interface GeneratedStory {
  /** The story's place in the stream (0-based). */
  index: number;
  /** One line of lower-case ASCII: words, spaces and . , ! ? " only. */
  text: string;
  characters: StoryCharacter[];
  facts: StoryFact[];
}
