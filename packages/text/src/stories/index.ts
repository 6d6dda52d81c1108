export * from './generate-stories.js';
export * from './planted-patterns.js';
export * from './story-corpus.js';
export * from './story-facts.js';
export * from './story-statistics.js';
export * from './story-vocabulary.js';
