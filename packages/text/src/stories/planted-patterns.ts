/**
 * The structure planted in the story corpus, as data: what an analysis of a model trained on it should find.
 * `storyShare` is the share of stories holding the pattern by design (worked out from the generator's
 * probabilities, not measured), or null where it has no short closed form (then the README gives the measured one).
 */
export interface PlantedPattern {
  id: string;
  /** The exact token pattern; <…> are slots filled from the exported word lists. */
  pattern: string;
  rule: string;
  example: string;
  storyShare: number | null;
}

/** 1 − E[(1 − p)^k] for k uniform on {1, 2, 3}: a story with k events, each of this kind with probability p. */
function atLeastOnce(p: number): number {
  return 1 - (1 - p + (1 - p) ** 2 + (1 - p) ** 3) / 3;
}

export const PLANTED_PATTERNS: readonly PlantedPattern[] = [
  {
    id: 'negation',
    pattern: 'the <subject> was [not] <evaluative adjective>. <actor> <mood phrase>.',
    rule:
      'the mood token has the polarity of the adjective, flipped by "not": was good / was not bad → happy, glad, ' +
      'smiled, laughed; was bad / was not good → sad, upset, cried, frowned. The four (not?, polarity) cells are ' +
      'equally likely, so neither "not" nor the adjective alone predicts the mood.',
    example: 'mom gave her a cake. the cake was not good. lily cried.',
    storyShare: 1,
  },
  {
    id: 'negated',
    pattern: 'was not <evaluative adjective>.',
    rule: 'each of a story\'s 1–3 evaluations is negated with probability 1/2; "not" occurs nowhere else.',
    example: 'the park was not scary. tom smiled.',
    storyShare: atLeastOnce(0.5),
  },
  {
    id: 'pronoun-after-introduction',
    pattern: 'a [<adjective>] girl|boy named <name>. she|he … / a [<adjective>] <animal>. it …',
    rule:
      'the sentence after a character is introduced starts with its pronoun; a story never has two characters ' +
      'of one kind, so she/her, he/him/his and it/its always refer to the one girl, boy or animal, and they/them/their ' +
      'to both characters.',
    example: 'one day, lily met a boy named tom. he had a red kite.',
    storyShare: 1,
  },
  {
    id: 'possessive-agreement',
    pattern: '<character> loved|lost|played with|gave his|her|its <colour> <toy>',
    rule: "the possessive agrees with the sentence's subject, the toy's owner.",
    example: 'tom lost his red kite.',
    storyShare: null,
  },
  {
    id: 'name-mention',
    pattern: '… <name> … (after "named <name>") / … the <animal> … (after "a <animal>")',
    rule: 'the main character is named again after its introduction, at least in the closing sentence.',
    example: 'there was a girl named mia. … at the end of the day, mia went home.',
    storyShare: 1,
  },
  {
    id: 'count',
    pattern: '<numeral> <noun> … [the <noun> was|were <description>.]; there was|were <numeral> <noun>',
    rule: '"one" takes the singular noun and "was"; two to five take the plural noun and "were".',
    example: 'there were three ducks in the pond. the ducks were little.',
    storyShare: atLeastOnce(2 / 8),
  },
  {
    id: 'toy-colour',
    pattern: 'a|an <colour> <toy> … the|his|her|its|your|my <colour> <toy>',
    rule:
      'a toy is always written with a colour, drawn uniformly per story, and every later mention repeats it; ' +
      'two toys in one story differ in kind and colour.',
    example: 'ben had a green ball. … then he found the green ball under the bed.',
    storyShare: null,
  },
  {
    id: 'fixed-colour',
    pattern: 'the <thing> was <colour>.',
    rule: 'the colour is fixed for the thing in every story (sky blue, grass green, sun yellow, …).',
    example: 'sue looked at the sky. the sky was blue.',
    storyShare: atLeastOnce(1 / 8),
  },
  {
    id: 'opposite',
    pattern: 'the <x> was <adjective>, but the <y> was <opposite>.',
    rule: 'the adjective after "but the <y> was" is the opposite of the first (big/small, hot/cold, …).',
    example: 'the bear was big, but the mouse was small.',
    storyShare: atLeastOnce(2 / 8),
  },
  {
    id: 'dialogue',
    pattern: '"<words>," said <name>. / <name> said, "<words>!" / "<words>?" asked <name>.',
    rule: 'direct speech in double quotes when a second character is met; greetings name the other character.',
    example: '"hello, tom!" said lily.',
    storyShare: 0.6,
  },
  {
    id: 'frame',
    pattern: 'once upon a time, … / … the end.',
    rule: 'stories open "once upon a time," (0.65), "there was once" (0.2) or "one day," (0.15); 0.6 end "the end."',
    example: 'once upon a time, there was a little cat. … the end.',
    storyShare: null,
  },
];
