// Corpora, the bundled story generator and tokenizers for the language-model work.
export {};
export * from './stories/index.js';
