import { seededRandom, shuffleInPlace } from '@bilinear-lab/core';
import type { GeneratedStory, StoryCharacter, StoryFact } from './story-facts.js';
import {
  ACTIVITIES,
  ANIMALS,
  BOY_NAMES,
  CHARACTER_ADJECTIVES,
  type CharacterKind,
  COLOURS,
  COUNT_DESCRIPTIONS,
  COUNT_NOUNS,
  EVALUATION_DOMAINS,
  EVALUATIVE_ADJECTIVES,
  type EvaluationDomain,
  FIXED_COLOURS,
  GIRL_NAMES,
  HIDING_PLACES,
  MOOD_PHRASES,
  NUMERALS,
  OPPOSITES,
  PLACES,
  PRONOUNS,
  type PronounForm,
  TOYS,
} from './story-vocabulary.js';
import { StoryWriter } from './story-writer.js';

export interface StoryOptions {
  /** Any integer; the same seed gives the same stories on every machine. */
  seed: number;
  /** How many stories (a non-negative integer). */
  count: number;
}

/** The default seed of the bundled corpus (the statistics in the README are measured with it). */
export const DEFAULT_STORY_SEED = 2024;

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('pick: no items to choose from');
  return item;
}

function chance(random: Random, probability: number): boolean {
  return random() < probability;
}

/** An integer in [low, high], both included. */
function between(random: Random, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

interface Toy {
  toy: string;
  colour: string;
  firstColourAt: number;
}

interface Character extends StoryCharacter {
  toy: Toy | null;
}

const FOODS_WITH_A = new Set(['cake', 'pie', 'cookie', 'sandwich', 'muffin', 'pancake']);
/** Optional openers of an event's first sentence. */
const TIME_PHRASES = ['one day', 'one sunny morning', 'the next day', 'after lunch', 'later'] as const;
const NUMBERS: Readonly<Record<string, number>> = { one: 1, two: 2, three: 3, four: 4, five: 5 };

/** The state of one story while it is written. */
class StoryScene {
  readonly w = new StoryWriter();
  readonly facts: StoryFact[] = [];
  readonly characters: Character[] = [];
  /** Time phrases already used ("one day, … one day," reads badly). */
  readonly times = new Set<string>();

  constructor(readonly random: Random) {}

  /** Animals that are characters: never also counted, judged or compared, so "the fox" names one thing. */
  freeAnimals(): string[] {
    return ANIMALS.filter((animal) => !this.characters.some((c) => c.kind === 'animal' && c.name === animal));
  }

  pronoun(c: Character, form: PronounForm): void {
    const pronoun = PRONOUNS[c.kind][form];
    const at = this.w.word(pronoun);
    this.facts.push({
      kind: 'pronoun',
      pronoun,
      form,
      referent: c.name,
      referentKind: c.kind,
      at,
      referentAt: c.introducedAt,
    });
  }

  byName(c: Character): void {
    if (c.kind === 'animal') this.w.word('the');
    const at = this.w.word(c.name);
    this.facts.push({
      kind: 'mention',
      name: c.name,
      characterKind: c.kind,
      introducedAt: c.introducedAt,
      at,
    });
  }

  /**
   * A character as subject or object: its pronoun with probability `pronounChance`, else its name. An animal is
   * mostly named ("the fox"), since "it" after "the cake was bad." would read as the cake.
   */
  refer(c: Character, form: 'subject' | 'object', pronounChance = 0.5): void {
    if (chance(this.random, c.kind === 'animal' ? pronounChance * 0.3 : pronounChance)) this.pronoun(c, form);
    else this.byName(c);
  }

  /** they / them / their for both characters. */
  groupPronoun(a: Character, b: Character, form: PronounForm): void {
    const pronoun = PRONOUNS.group[form];
    const at = this.w.word(pronoun);
    this.facts.push({
      kind: 'pronoun',
      pronoun,
      form,
      referent: `${a.name} and ${b.name}`,
      referentKind: 'group',
      at,
      referentAt: a.introducedAt,
    });
  }

  /** Both characters: "lily and tom", or "they". */
  group(a: Character, b: Character, pronounChance = 0.5): void {
    if (chance(this.random, pronounChance)) {
      this.groupPronoun(a, b, 'subject');
    } else {
      this.byName(a);
      this.w.word('and');
      this.byName(b);
    }
  }

  /** "<colour> <toy>", recording the colour binding (the first mention fixes the colour). */
  toy(owner: Character, toy: Toy, first: boolean): void {
    const colourAt = this.w.word(toy.colour);
    const toyAt = this.w.word(toy.toy);
    this.facts.push({
      kind: 'toy-colour',
      toy: toy.toy,
      colour: toy.colour,
      owner: owner.name,
      first,
      colourAt,
      toyAt,
      firstColourAt: first ? colourAt : toy.firstColourAt,
    });
    if (first) toy.firstColourAt = colourAt;
  }

  /** Gives `owner` a toy (of a kind and colour no other character's toy has): writes "[a] <colour> <toy>". */
  newToy(owner: Character, withArticle = true): void {
    const taken = this.characters.flatMap((c) => (c.toy ? [c.toy] : []));
    const toy: Toy = {
      toy: pick(
        this.random,
        TOYS.filter((t) => !taken.some((other) => other.toy === t)),
      ),
      colour: pick(
        this.random,
        COLOURS.filter((colour) => !taken.some((other) => other.colour === colour)),
      ),
      firstColourAt: -1,
    };
    owner.toy = toy;
    if (withArticle) this.w.word(article(toy.colour));
    this.toy(owner, toy, true);
  }

  private addCharacter(kind: CharacterKind, taken: Set<string>): Character {
    const names = kind === 'girl' ? GIRL_NAMES : kind === 'boy' ? BOY_NAMES : this.freeAnimals();
    const name = pick(
      this.random,
      names.filter((n) => !taken.has(n)),
    );
    const character: Character = { name, kind, introducedAt: -1, toy: null };
    this.characters.push(character);
    return character;
  }

  /**
   * Writes "a [little] girl named lily" / "a [little] fox" and registers the character.
   */
  characterPhrase(kind: CharacterKind): Character {
    const random = this.random;
    const adjective = kind === 'animal' || chance(random, 0.6) ? pick(random, CHARACTER_ADJECTIVES) : null;
    const c = this.addCharacter(kind, new Set(this.characters.map((other) => other.name)));
    const noun = kind === 'animal' ? c.name : kind;
    this.w.word(article(adjective ?? noun));
    if (adjective) this.w.word(adjective);
    if (kind === 'animal') {
      c.introducedAt = this.w.word(noun);
    } else {
      this.w.word(`${noun} named`);
      c.introducedAt = this.w.word(c.name);
    }
    return c;
  }

  sentenceEnd(punctuation = '.'): void {
    this.w.mark(punctuation);
  }
}

/** Sometimes starts a sentence with "one day," / "after lunch," …. */
function maybeTime(s: StoryScene, probability = 0.25): void {
  if (chance(s.random, probability)) {
    const time = pick(s.random, TIME_PHRASES);
    if (s.times.has(time)) return;
    s.times.add(time);
    s.w.word(time);
    s.w.mark(',');
  }
}

function otherKind(random: Random, kind: CharacterKind): CharacterKind {
  const kinds: CharacterKind[] = (['girl', 'boy', 'animal'] as const).filter((k) => k !== kind);
  // A person meets a person more often than an animal.
  if (kind === 'animal') return pick(random, kinds);
  return chance(random, 0.7) ? (kinds[0] as CharacterKind) : 'animal';
}

function opening(s: StoryScene, kind: CharacterKind): Character {
  const r = s.random();
  if (r < 0.65) {
    s.w.word('once upon a time');
    s.w.mark(',');
    s.w.word('there was');
  } else if (r < 0.85) {
    s.w.word('there was once');
  } else {
    s.w.word('one day');
    s.w.mark(',');
    s.w.word('there was');
    s.times.add('one day');
  }
  const a = s.characterPhrase(kind);
  s.sentenceEnd();
  // Planted: the sentence right after an introduction starts with the character's pronoun.
  s.pronoun(a, 'subject');
  if (chance(s.random, 0.5)) {
    s.w.word('lived near the');
    s.w.word(pick(s.random, PLACES));
  } else {
    s.w.word('liked to');
    s.w.word(pick(s.random, ACTIVITIES));
  }
  s.sentenceEnd();
  return a;
}

function introduceToy(s: StoryScene, a: Character): void {
  s.refer(a, 'subject');
  if (chance(s.random, 0.5)) {
    s.w.word('had');
    s.newToy(a);
  } else {
    // "loved her <toy>": the possessive agrees with the subject.
    s.w.word('loved');
    s.pronoun(a, 'possessive');
    if (a.toy) s.toy(a, a.toy, false);
    else s.newToy(a, false);
  }
  s.sentenceEnd();
}

function evaluation(s: StoryScene, actor: Character, friend: Character | null): void {
  const random = s.random;
  const w = s.w;
  const domain = pick(random, Object.keys(EVALUATION_DOMAINS) as EvaluationDomain[]);
  let subject: string;
  maybeTime(s);
  switch (domain) {
    case 'food': {
      subject = pick(random, EVALUATION_DOMAINS.food.subjects);
      const quantity = FOODS_WITH_A.has(subject) ? 'a' : 'some';
      const frame = s.random();
      if (frame < 0.5) {
        s.refer(actor, 'subject');
        w.word(`ate ${quantity} ${subject}`);
      } else if (frame < 0.75) {
        w.word('mom gave');
        s.refer(actor, 'object');
        w.word(`${quantity} ${subject}`);
      } else {
        w.word(`dad made ${quantity} ${subject} for`);
        s.refer(actor, 'object');
      }
      break;
    }
    case 'activity': {
      subject = pick(random, EVALUATION_DOMAINS.activity.subjects);
      if (subject === 'game' && friend && chance(random, 0.5)) s.group(actor, friend);
      else s.refer(actor, 'subject');
      const frames: Record<string, string> = {
        game: 'played a game',
        book: 'read a book',
        song: 'sang a song',
        show: 'watched a show',
        walk: 'went for a walk',
        trip: 'went on a trip',
        party: 'went to a party',
        picnic: 'had a picnic',
        movie: 'watched a movie',
        race: 'ran a race',
        puzzle: 'did a puzzle',
      };
      w.word(frames[subject] ?? '');
      break;
    }
    case 'place':
      subject = pick(random, EVALUATION_DOMAINS.place.subjects);
      s.refer(actor, 'subject');
      w.word(`went to the ${subject}`);
      break;
    case 'creature': {
      subject = pick(random, s.freeAnimals());
      s.refer(actor, 'subject');
      if (chance(random, 0.5)) w.word(`saw ${article(subject)} ${subject} in the ${pick(random, PLACES)}`);
      else w.word(`met ${article(subject)} ${subject}`);
      break;
    }
  }
  s.sentenceEnd();

  const [positive, negative] = pick<readonly [string, string]>(random, EVALUATION_DOMAINS[domain].adjectives);
  const adjective = chance(random, 0.5) ? positive : negative;
  const adjectivePolarity = EVALUATIVE_ADJECTIVES[adjective] ?? 'positive';
  const negated = chance(random, 0.5);
  const subjectAt = w.word(`the ${subject}`) + 4;
  w.word('was');
  const notAt = negated ? w.word('not') : null;
  const adjectiveAt = w.word(adjective);
  s.sentenceEnd();

  // Planted: the next sentence's mood agrees with (not, adjective) together.
  const polarity = negated === (adjectivePolarity === 'positive') ? 'negative' : 'positive';
  if (actor.kind === 'animal') s.byName(actor);
  else s.refer(actor, 'subject');
  // "the fox was sad." would read as an evaluation of the fox, so animals only smile, cry, ….
  const phrases =
    actor.kind === 'animal'
      ? MOOD_PHRASES[polarity].filter(([, token]) => EVALUATIVE_ADJECTIVES[token] === undefined)
      : MOOD_PHRASES[polarity];
  const [phrase, mood] = pick(random, phrases);
  const moodAt = w.word(phrase) + phrase.length - mood.length;
  s.sentenceEnd();
  s.facts.push({
    kind: 'evaluation',
    domain,
    subject,
    negated,
    adjective,
    adjectivePolarity,
    polarity,
    actor: actor.name,
    mood,
    subjectAt,
    notAt,
    adjectiveAt,
    moodAt,
  });
}

function counting(s: StoryScene, actor: Character): void {
  const random = s.random;
  const w = s.w;
  const inUse = new Set(s.characters.map((c) => c.name));
  const singular = pick(
    random,
    Object.keys(COUNT_NOUNS).filter((noun) => !inUse.has(noun)),
  );
  const numeral = chance(random, 0.3) ? 'one' : pick(random, NUMERALS.slice(1));
  const plural = numeral !== 'one';
  const noun = plural ? (COUNT_NOUNS[singular] ?? singular) : singular;
  const verb = plural ? 'were' : 'was';
  const verbs: { word: 'was' | 'were'; at: number }[] = [];
  let numeralAt: number;
  let nounAt: number;
  const frame = random();
  if (frame < 0.4) {
    s.refer(actor, 'subject');
    w.word('saw');
    numeralAt = w.word(numeral);
    nounAt = w.word(noun);
    w.word(`${pick(random, ['in', 'by', 'near'])} the ${pick(random, PLACES)}`);
  } else if (frame < 0.75) {
    w.word('there');
    verbs.push({ word: verb, at: w.word(verb) });
    numeralAt = w.word(numeral);
    nounAt = w.word(noun);
    w.word(`in the ${pick(random, PLACES)}`);
  } else {
    s.refer(actor, 'subject');
    w.word('counted');
    numeralAt = w.word(numeral);
    nounAt = w.word(noun);
  }
  s.sentenceEnd();
  if (chance(random, 0.6)) {
    w.word(`the ${noun}`);
    verbs.push({ word: verb, at: w.word(verb) });
    w.word(pick(random, COUNT_DESCRIPTIONS));
    s.sentenceEnd();
  }
  s.facts.push({
    kind: 'count',
    numeral,
    count: NUMBERS[numeral] ?? 0,
    noun,
    plural,
    numeralAt,
    nounAt,
    verbs,
  });
}

function toyEvent(s: StoryScene, owner: Character, friend: Character | null): void {
  const random = s.random;
  const w = s.w;
  if (!owner.toy) {
    s.refer(owner, 'subject');
    w.word('found');
    s.newToy(owner);
    s.sentenceEnd();
    return;
  }
  const toy = owner.toy;
  const frame = random();
  if (frame < 0.4) {
    s.refer(owner, 'subject');
    w.word('lost');
    s.pronoun(owner, 'possessive');
    s.toy(owner, toy, false);
    s.sentenceEnd();
    s.refer(owner, 'subject');
    w.word('looked everywhere');
    s.sentenceEnd();
    w.word('then');
    s.refer(owner, 'subject');
    w.word('found the');
    s.toy(owner, toy, false);
    w.word(`under the ${pick(random, HIDING_PLACES)}`);
    s.sentenceEnd();
  } else if (frame < 0.7 && friend) {
    s.refer(owner, 'subject');
    w.word('gave');
    s.pronoun(owner, 'possessive');
    s.toy(owner, toy, false);
    w.word('to');
    s.refer(friend, 'object');
    s.sentenceEnd();
    w.openQuote();
    w.word('thank you');
    w.mark('!');
    w.closeQuote();
    speechTag(s, friend, 'said');
  } else {
    s.refer(owner, 'subject');
    w.word('played with');
    s.pronoun(owner, 'possessive');
    s.toy(owner, toy, false);
    s.sentenceEnd();
  }
}

function fixedColour(s: StoryScene, actor: Character): void {
  const thing = pick(s.random, Object.keys(FIXED_COLOURS));
  const colour = FIXED_COLOURS[thing] ?? '';
  s.refer(actor, 'subject');
  s.w.word(`${chance(s.random, 0.5) ? 'looked at' : 'saw'} the ${thing}`);
  s.sentenceEnd();
  const thingAt = s.w.word(`the ${thing}`) + 4;
  s.w.word('was');
  const colourAt = s.w.word(colour);
  s.sentenceEnd();
  s.facts.push({ kind: 'fixed-colour', thing, colour, thingAt, colourAt });
}

function opposites(s: StoryScene, actor: Character): void {
  const rnd = s.random;
  const w = s.w;
  const spec = pick(rnd, OPPOSITES);
  const free = new Set(s.freeAnimals());
  const subjects = spec.subjects.filter(
    (subject) => free.has(subject) || !ANIMALS.includes(subject as never),
  );
  const first = pick(rnd, subjects);
  const second = pick(
    rnd,
    subjects.filter((subject) => subject !== first),
  );
  const [adjective, opposite] = chance(rnd, 0.5)
    ? [spec.pair[0], spec.pair[1]]
    : [spec.pair[1], spec.pair[0]];
  s.refer(actor, 'subject');
  if (spec.pair[0] === 'hot') w.word(`had some ${first} and some ${second}`);
  else {
    w.word(spec.subjects === ANIMALS ? 'saw' : 'found');
    w.word(`${article(first)} ${first} and ${article(second)} ${second}`);
  }
  s.sentenceEnd();
  w.word(`the ${first} was`);
  const adjectiveAt = w.word(adjective);
  w.mark(',');
  w.word(`but the ${second} was`);
  const oppositeAt = w.word(opposite);
  s.sentenceEnd();
  s.facts.push({ kind: 'opposite', first, second, adjective, opposite, adjectiveAt, oppositeAt });
}

function filler(s: StoryScene, actor: Character, friend: Character | null): void {
  const rnd = s.random;
  const w = s.w;
  const frame = between(rnd, 0, friend ? 6 : 2);
  // "the next day, tom liked to …" reads badly: only events take a time phrase.
  if (frame === 0 || frame === 3 || frame === 4) maybeTime(s);
  switch (frame) {
    case 0:
      s.refer(actor, 'subject');
      w.word(`ran to the ${pick(rnd, PLACES)}`);
      break;
    case 1:
      s.refer(actor, 'subject');
      w.word(`wanted to ${pick(rnd, ACTIVITIES)}`);
      break;
    case 2:
      s.refer(actor, 'subject');
      w.word(`liked to ${pick(rnd, ACTIVITIES)}`);
      break;
    case 3:
      if (friend) s.group(actor, friend);
      w.word(`played in the ${pick(rnd, PLACES)}`);
      break;
    case 4:
      s.refer(actor, 'subject');
      w.word('gave');
      if (friend) s.refer(friend, 'object');
      w.word('a big hug');
      break;
    case 5:
      if (friend) s.group(actor, friend);
      w.word('shared');
      if (friend) s.groupPronoun(actor, friend, 'possessive');
      w.word(pick(rnd, ['cake', 'pie', 'cookie', 'candy', 'pizza']));
      break;
    default:
      w.word(`${pick(rnd, ['mom', 'dad'])} made a ${pick(rnd, ['cake', 'pie', 'sandwich'])} for`);
      if (friend) s.groupPronoun(actor, friend, 'object');
  }
  s.sentenceEnd();
}

/** A speech tag: `said lily` / `asked the fox`, or `she said`. */
function speechTag(s: StoryScene, speaker: Character, verb: 'said' | 'asked'): void {
  if (chance(s.random, 0.25)) {
    s.pronoun(speaker, 'subject');
    s.w.word(verb);
  } else {
    s.w.word(verb);
    s.byName(speaker);
  }
  s.sentenceEnd();
}

function meetFriend(s: StoryScene, a: Character): Character {
  const random = s.random;
  const w = s.w;
  maybeTime(s, 0.5);
  s.refer(a, 'subject');
  w.word('met');
  const b = s.characterPhrase(otherKind(random, a.kind));
  s.sentenceEnd();
  // Planted: a pronoun right after the introduction agrees with the new character.
  s.pronoun(b, 'subject');
  const intro = random();
  if (intro < 0.4 && !b.toy) {
    w.word('had');
    s.newToy(b);
  } else if (intro < 0.7) w.word('wanted to play');
  else w.word('was new in town');
  s.sentenceEnd();

  const lines = shuffleInPlace(random, ['greet', 'ask', 'toy', 'go'] as (
    | 'greet'
    | 'ask'
    | 'toy'
    | 'go'
  )[]).slice(0, between(random, 2, 3));
  for (const line of lines) {
    switch (line) {
      case 'greet':
        w.openQuote();
        w.word('hello');
        w.mark(',');
        if (b.kind === 'animal') w.word('little');
        w.word(b.name);
        s.facts.push({
          kind: 'mention',
          name: b.name,
          characterKind: b.kind,
          introducedAt: b.introducedAt,
          at: w.text.length - b.name.length,
        });
        w.mark('!');
        w.closeQuote();
        speechTag(s, a, 'said');
        break;
      case 'ask':
        w.openQuote();
        w.word('can i play with you');
        w.mark('?');
        w.closeQuote();
        speechTag(s, b, 'asked');
        w.openQuote();
        w.word('yes');
        w.mark(',');
        w.word('you can');
        w.mark('!');
        w.closeQuote();
        speechTag(s, a, 'said');
        break;
      case 'toy':
        if (a.toy && chance(random, 0.5)) {
          w.openQuote();
          w.word('i like your');
          s.toy(a, a.toy, false);
          w.mark(',');
          w.closeQuote();
          speechTag(s, b, 'said');
        } else if (a.toy) {
          w.openQuote();
          w.word('do you want to play with my');
          s.toy(a, a.toy, false);
          w.mark('?');
          w.closeQuote();
          speechTag(s, a, 'asked');
        } else {
          w.openQuote();
          w.word('do you want to play with me');
          w.mark('?');
          w.closeQuote();
          speechTag(s, a, 'asked');
        }
        break;
      case 'go':
        s.byName(a);
        w.word('said');
        w.mark(',');
        w.openQuote();
        w.word(`let us go to the ${pick(random, PLACES)}`);
        w.mark('!');
        w.closeQuote();
        break;
    }
  }
  s.group(a, b);
  w.word(chance(random, 0.5) ? 'played together' : 'played together all day');
  s.sentenceEnd();
  return b;
}

function ending(s: StoryScene, a: Character, friend: Character | null): void {
  const w = s.w;
  const frame = between(s.random, friend ? 0 : 1, 3);
  switch (frame) {
    case 0:
      w.word('from that day on');
      w.mark(',');
      s.group(a, friend as Character, 0);
      w.word('were best friends');
      break;
    case 1:
      w.word('at the end of the day');
      w.mark(',');
      s.byName(a);
      w.word('went home');
      break;
    case 2:
      s.byName(a);
      w.word('was tired');
      w.mark(',');
      w.word('so');
      s.pronoun(a, 'subject');
      w.word('went home and slept');
      break;
    default:
      s.byName(a);
      w.word('never forgot this day');
  }
  s.sentenceEnd();
  if (chance(s.random, 0.6)) {
    w.word('the end');
    s.sentenceEnd();
  }
}

type MiddleEvent = 'evaluation' | 'count' | 'toy' | 'fixed-colour' | 'opposite' | 'filler' | 'friend';
const OTHER_EVENTS: readonly MiddleEvent[] = [
  'count',
  'count',
  'toy',
  'toy',
  'fixed-colour',
  'opposite',
  'opposite',
  'filler',
];

/** One story from its own generator. */
export function generateStory(random: Random, index = 0): GeneratedStory {
  const s = new StoryScene(random);
  const kindDraw = random();
  const a = opening(s, kindDraw < 0.4 ? 'girl' : kindDraw < 0.8 ? 'boy' : 'animal');
  if (chance(random, 0.7)) introduceToy(s, a);

  const events: MiddleEvent[] = [];
  const evaluations = between(random, 1, 3);
  for (let i = 0; i < evaluations; i++) events.push('evaluation');
  const others = between(random, 1, 3);
  for (let i = 0; i < others; i++) events.push(pick(random, OTHER_EVENTS));
  if (chance(random, 0.6)) events.push('friend');
  shuffleInPlace(random, events);

  let friend: Character | null = null;
  for (const event of events) {
    // After the friend arrives, some events happen to the friend instead.
    const actor = friend && chance(random, 0.3) ? friend : a;
    const other = actor === a ? friend : a;
    switch (event) {
      case 'evaluation':
        evaluation(s, actor, other);
        break;
      case 'count':
        counting(s, actor);
        break;
      case 'toy':
        toyEvent(s, actor, other);
        break;
      case 'fixed-colour':
        fixedColour(s, actor);
        break;
      case 'opposite':
        opposites(s, actor);
        break;
      case 'filler':
        filler(s, actor, other);
        break;
      case 'friend':
        friend = meetFriend(s, a);
        break;
    }
  }
  ending(s, a, friend);
  return {
    index,
    text: s.w.text,
    characters: s.characters.map(({ name, kind, introducedAt }) => ({ name, kind, introducedAt })),
    facts: s.facts,
  };
}

function checkOptions({ seed, count }: StoryOptions): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
}

/**
 * Stories one at a time, in bounded memory. Each story draws from its own Mulberry32 stream, seeded by one draw
 * of the stream for `seed`, so story i is the same whatever `count` is.
 */
export function* iterateStories(options: StoryOptions): Generator<GeneratedStory, void, undefined> {
  checkOptions(options);
  const streamOfSeeds = seededRandom(options.seed);
  for (let index = 0; index < options.count; index++) {
    const storySeed = Math.floor(streamOfSeeds() * 4294967296);
    yield generateStory(seededRandom(storySeed), index);
  }
}

/** The stories' texts. */
export function generateStories(options: StoryOptions): string[] {
  const texts: string[] = [];
  for (const story of iterateStories(options)) texts.push(story.text);
  return texts;
}

/** The stories with their planted facts. */
export function generateStoriesWithFacts(options: StoryOptions): GeneratedStory[] {
  return [...iterateStories(options)];
}
