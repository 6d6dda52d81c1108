import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UNIQUE_KEY_TEXT_LIMIT, uniqueKeyText } from './unique-key.js';

describe('uniqueKeyText', () => {
  it('keeps a short key as it is', () => {
    const key = JSON.stringify({ topK: 16, outputs: [1, 2, 3] });
    expect(uniqueKeyText(key)).toBe(key);
    expect(uniqueKeyText('x'.repeat(UNIQUE_KEY_TEXT_LIMIT))).toBe('x'.repeat(UNIQUE_KEY_TEXT_LIMIT));
  });

  it('stores a long key as the SHA-256 of its text: fixed length, distinct for distinct keys', () => {
    const outputs = Array.from({ length: 4000 }, (_, token) => token);
    const key = JSON.stringify({ topK: 16, outputs });
    const other = JSON.stringify({ topK: 16, outputs: outputs.slice(1) });
    expect(uniqueKeyText(key)).toBe(`sha256:${createHash('sha256').update(key).digest('hex')}`);
    expect(uniqueKeyText(key)).toHaveLength(71);
    expect(uniqueKeyText(other)).not.toBe(uniqueKeyText(key));
  });
});
