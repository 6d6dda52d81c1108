// Corpora, the bundled story generator and tokenizers for the language-model work.
export {};
