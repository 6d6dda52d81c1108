/**
 * The word lists of the bundled story corpus and the planted patterns as data, so tests and analyses can
 * check what a decomposition finds against the same lists the generator draws from. Every word is plain
 * lower-case ASCII; no word holds an apostrophe (the reference tokenizer would split it).
 */

export type Polarity = 'positive' | 'negative';
export type CharacterKind = 'girl' | 'boy' | 'animal';
/** A pronoun's referent: one character, or the two characters together ("they"). */
export type ReferentKind = CharacterKind | 'group';
export type PronounForm = 'subject' | 'object' | 'possessive';

export const GIRL_NAMES = [
  'lily',
  'mia',
  'sue',
  'anna',
  'emma',
  'lucy',
  'amy',
  'sara',
  'zoe',
  'kim',
  'ella',
  'rosie',
  'lisa',
  'jane',
  'nora',
  'ruby',
] as const;
export const BOY_NAMES = [
  'tom',
  'ben',
  'max',
  'sam',
  'tim',
  'jack',
  'leo',
  'bob',
  'joe',
  'dan',
  'finn',
  'jake',
  'noah',
  'luke',
  'adam',
  'eli',
] as const;
/** Animals: characters ("a little fox" … "the fox", pronoun it/its), creatures judged in an evaluation, opposites. */
export const ANIMALS = [
  'dog',
  'cat',
  'bird',
  'bunny',
  'duck',
  'frog',
  'bear',
  'mouse',
  'puppy',
  'kitten',
  'fox',
  'owl',
  'lion',
  'pig',
  'horse',
  'cow',
  'goat',
  'turtle',
  'squirrel',
  'hen',
] as const;

/** Pronouns by referent: the planted agreement pattern (he/him/his, she/her/her, it/it/its, they/them/their). */
export const PRONOUNS: Readonly<Record<ReferentKind, Readonly<Record<PronounForm, string>>>> = {
  girl: { subject: 'she', object: 'her', possessive: 'her' },
  boy: { subject: 'he', object: 'him', possessive: 'his' },
  animal: { subject: 'it', object: 'it', possessive: 'its' },
  group: { subject: 'they', object: 'them', possessive: 'their' },
};

/** Adjectives that describe a character when it is introduced ("a little girl named lily"). */
export const CHARACTER_ADJECTIVES = ['little', 'brave', 'shy', 'curious', 'small', 'young'] as const;

/** Toys: each story gives a character's toy one colour and every later mention repeats it. */
export const TOYS = [
  'ball',
  'kite',
  'hat',
  'car',
  'balloon',
  'truck',
  'doll',
  'bag',
  'cup',
  'blanket',
  'bike',
  'train',
  'drum',
  'robot',
] as const;
export const COLOURS = [
  'red',
  'blue',
  'green',
  'yellow',
  'pink',
  'purple',
  'orange',
  'white',
  'black',
  'brown',
] as const;
/** Things whose colour never changes: "the sky was blue" in every story that says it. */
export const FIXED_COLOURS: Readonly<Record<string, (typeof COLOURS)[number]>> = {
  sky: 'blue',
  sea: 'blue',
  grass: 'green',
  leaf: 'green',
  sun: 'yellow',
  banana: 'yellow',
  snow: 'white',
  cloud: 'white',
  carrot: 'orange',
  cherry: 'red',
  strawberry: 'red',
  crow: 'black',
};

export const PLACES = [
  'park',
  'forest',
  'beach',
  'garden',
  'river',
  'farm',
  'zoo',
  'school',
  'pond',
  'hill',
  'lake',
  'town',
  'cave',
  'castle',
  'field',
  'shop',
  'library',
  'playground',
] as const;
/** Where a lost toy turns up. */
export const HIDING_PLACES = ['bed', 'table', 'chair', 'bush', 'sofa', 'door', 'rug', 'stairs'] as const;
/** "x liked to …", "x wanted to …". */
export const ACTIVITIES = [
  'play outside',
  'sing songs',
  'read books',
  'draw pictures',
  'dance',
  'climb trees',
  'jump in the puddles',
  'swim',
  'bake cakes',
  'look at the stars',
  'help mom',
  'help dad',
  'plant flowers',
  'play hide and seek',
  'build sand castles',
  'feed the ducks',
  'sing and dance',
] as const;

/**
 * Evaluations: `the <subject> was [not] <adjective>.` The subject comes from a domain, and each domain's
 * adjectives come in pairs of opposite polarity, so neither the subject nor the adjective alone tells the mood.
 */
export const EVALUATION_DOMAINS = {
  food: {
    subjects: [
      'cake',
      'soup',
      'pie',
      'cookie',
      'bread',
      'candy',
      'pizza',
      'sandwich',
      'jam',
      'cheese',
      'muffin',
      'pancake',
      'salad',
      'rice',
    ],
    adjectives: [
      ['good', 'bad'],
      ['yummy', 'yucky'],
    ],
  },
  activity: {
    subjects: ['game', 'book', 'song', 'show', 'walk', 'trip', 'party', 'picnic', 'movie', 'race', 'puzzle'],
    adjectives: [
      ['good', 'bad'],
      ['fun', 'boring'],
    ],
  },
  place: {
    subjects: PLACES,
    adjectives: [
      ['nice', 'scary'],
      ['fun', 'boring'],
    ],
  },
  creature: {
    subjects: ANIMALS,
    adjectives: [
      ['kind', 'mean'],
      ['happy', 'sad'],
      ['nice', 'scary'],
    ],
  },
} as const satisfies Record<
  string,
  { subjects: readonly string[]; adjectives: readonly (readonly [string, string])[] }
>;
export type EvaluationDomain = keyof typeof EVALUATION_DOMAINS;

/** Every evaluative adjective and its polarity (the polarity of `was <adjective>`; `was not <adjective>` flips it). */
export const EVALUATIVE_ADJECTIVES: Readonly<Record<string, Polarity>> = {
  good: 'positive',
  yummy: 'positive',
  fun: 'positive',
  nice: 'positive',
  kind: 'positive',
  happy: 'positive',
  bad: 'negative',
  yucky: 'negative',
  boring: 'negative',
  scary: 'negative',
  mean: 'negative',
  sad: 'negative',
};

/**
 * The sentence after an evaluation is `<actor> <mood phrase>.`; its mood token (the phrase's last word) has the
 * polarity of the evaluation: positive for `was good` and `was not bad`, negative for `was bad` and `was not good`.
 */
export const MOOD_PHRASES: Readonly<Record<Polarity, readonly (readonly [phrase: string, token: string])[]>> =
  {
    positive: [
      ['was happy', 'happy'],
      ['was glad', 'glad'],
      ['smiled', 'smiled'],
      ['laughed', 'laughed'],
    ],
    negative: [
      ['was sad', 'sad'],
      ['was upset', 'upset'],
      ['cried', 'cried'],
      ['frowned', 'frowned'],
    ],
  };
export const MOOD_TOKENS: Readonly<Record<Polarity, readonly string[]>> = {
  positive: MOOD_PHRASES.positive.map(([, token]) => token),
  negative: MOOD_PHRASES.negative.map(([, token]) => token),
};

/** Counting: `one <singular>`, `two|three|four|five <plural>`; a following `the <noun> was|were` agrees too. */
export const NUMERALS = ['one', 'two', 'three', 'four', 'five'] as const;
export const COUNT_NOUNS: Readonly<Record<string, string>> = {
  bird: 'birds',
  duck: 'ducks',
  flower: 'flowers',
  shell: 'shells',
  tree: 'trees',
  rock: 'rocks',
  bug: 'bugs',
  bee: 'bees',
  boat: 'boats',
  bunny: 'bunnies',
  butterfly: 'butterflies',
  mouse: 'mice',
  fox: 'foxes',
  frog: 'frogs',
};
/** What is said of counted things: `the birds were little.` (never an evaluative adjective). */
export const COUNT_DESCRIPTIONS = ['little', 'big', 'tiny', 'round', 'soft', 'shiny'] as const;

/** Opposites: `the <x> was <adjective>, but the <y> was <opposite>.`, each pair with the things it describes. */
export const OPPOSITES = [
  { pair: ['big', 'small'], subjects: ANIMALS },
  { pair: ['fast', 'slow'], subjects: ANIMALS },
  { pair: ['tall', 'short'], subjects: ANIMALS },
  { pair: ['loud', 'quiet'], subjects: ANIMALS },
  { pair: ['hot', 'cold'], subjects: ['soup', 'tea', 'milk', 'water', 'cocoa'] },
  { pair: ['wet', 'dry'], subjects: ['box', 'bucket', 'pillow', 'sock', 'basket'] },
  { pair: ['full', 'empty'], subjects: ['box', 'bucket', 'jar', 'bowl', 'basket', 'pot'] },
  { pair: ['soft', 'hard'], subjects: ['pillow', 'sock', 'box', 'bowl'] },
  { pair: ['heavy', 'light'], subjects: ['box', 'bucket', 'basket', 'pot', 'jar'] },
  { pair: ['old', 'new'], subjects: ['box', 'bucket', 'jar', 'bowl', 'basket', 'pot', 'sock'] },
] as const satisfies readonly { pair: readonly [string, string]; subjects: readonly string[] }[];

/** Words the sentence frames themselves use (articles, verbs, the words of dialogue and endings). */
export const FRAME_WORDS = [
  'a',
  'after',
  'all',
  'an',
  'and',
  'asked',
  'ate',
  'best',
  'boy',
  'but',
  'by',
  'can',
  'counted',
  'day',
  'did',
  'do',
  'end',
  'everywhere',
  'for',
  'forgot',
  'found',
  'friends',
  'from',
  'gave',
  'girl',
  'go',
  'had',
  'hello',
  'home',
  'hug',
  'i',
  'in',
  'later',
  'let',
  'like',
  'liked',
  'lived',
  'looked',
  'lost',
  'loved',
  'lunch',
  'made',
  'me',
  'met',
  'morning',
  'my',
  'named',
  'near',
  'never',
  'next',
  'not',
  'of',
  'on',
  'once',
  'played',
  'ran',
  'said',
  'sang',
  'saw',
  'shared',
  'slept',
  'so',
  'some',
  'sunny',
  'thank',
  'that',
  'the',
  'then',
  'there',
  'this',
  'time',
  'tired',
  'to',
  'together',
  'under',
  'upon',
  'us',
  'want',
  'wanted',
  'was',
  'watched',
  'went',
  'were',
  'with',
  'yes',
  'you',
  'your',
] as const;

function wordsOf(phrases: Iterable<string>): string[] {
  const words: string[] = [];
  for (const phrase of phrases) words.push(...phrase.split(' '));
  return words;
}

/** Every word the generator can write, sorted: the corpus's closed vocabulary. */
export const STORY_VOCABULARY: readonly string[] = [
  ...new Set([
    ...GIRL_NAMES,
    ...BOY_NAMES,
    ...ANIMALS,
    ...Object.values(PRONOUNS).flatMap((forms) => Object.values(forms)),
    ...CHARACTER_ADJECTIVES,
    ...TOYS,
    ...COLOURS,
    ...Object.keys(FIXED_COLOURS),
    ...PLACES,
    ...HIDING_PLACES,
    ...wordsOf(ACTIVITIES),
    ...Object.values(EVALUATION_DOMAINS).flatMap((domain) => domain.subjects),
    ...Object.keys(EVALUATIVE_ADJECTIVES),
    ...wordsOf(Object.values(MOOD_PHRASES).flatMap((phrases) => phrases.map(([phrase]) => phrase))),
    ...NUMERALS,
    ...Object.keys(COUNT_NOUNS),
    ...Object.values(COUNT_NOUNS),
    ...COUNT_DESCRIPTIONS,
    ...OPPOSITES.flatMap((opposite) => [...opposite.pair, ...opposite.subjects]),
    ...FRAME_WORDS,
  ]),
].sort();
