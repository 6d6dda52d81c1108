// Corpora, the bundled story generator and tokenizers for the language-model work.

export * from './corpus/dataset-documents.js';
export * from './corpus/language-model-dataset.js';
export * from './corpus/read-corpus.js';
export * from './corpus/token-windows.js';
export * from './stories/index.js';
export * from './tokenizer/learn-subwords.js';
export * from './tokenizer/tokenizer.js';
export * from './tokenizer/tokenizer-error.js';
export * from './tokenizer/train-wordpiece.js';
export * from './tokenizer/wordpiece-recipe.js';
