import { describe, expect, it } from 'vitest';
import { decimalInteger, nameText, textProblem } from './text-fields.js';

describe('textProblem', () => {
  it('passes ordinary text, emoji (surrogate pairs) and U+FFFD', () => {
    for (const text of ['', 'mnist sweep', 'Zürich 東京', 'digits 🧮 and 👩🏽‍🔬', '\ufffd', '\ud83e\uddee']) {
      expect(textProblem(text)).toBeNull();
    }
  });

  it('names NUL and lone surrogates with their position', () => {
    expect(textProblem('ab\u0000c')).toBe(
      'contains a NUL character (\\u0000) at position 2, which text cannot hold',
    );
    expect(textProblem('x\ud800')).toMatch(/lone UTF-16 surrogate \(\\ud800\) at position 1/);
    expect(textProblem('\udc00x')).toMatch(/lone UTF-16 surrogate \(\\udc00\) at position 0/);
    // A low surrogate before its high one is not a pair.
    expect(textProblem('\udc00\ud800')).toMatch(/position 0/);
    expect(textProblem('🧮\ud800')).toMatch(/position 2/);
  });

  it('agrees with String.prototype.isWellFormed on every single code unit and pair', () => {
    const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
    for (const unit of [0x41, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000]) {
      for (const next of [0x41, 0xdc00, 0xd800]) {
        const text = String.fromCharCode(unit, next);
        expect(textProblem(text) === null, text).toBe(wellFormed(text));
      }
    }
  });
});

describe('nameText', () => {
  it('trims, bounds the length and refuses text that cannot be stored', () => {
    const name = nameText(5);
    expect(name.parse('  ab  ')).toBe('ab');
    expect(name.safeParse('').success).toBe(false);
    expect(name.safeParse('abcdef').success).toBe(false);
    expect(name.safeParse('a\u0000b').error?.issues[0]?.message).toMatch(/NUL character/);
  });
});

describe('decimalInteger', () => {
  it('reads plain decimal digits only', () => {
    const integer = decimalInteger();
    expect(integer.parse('0')).toBe(0);
    expect(integer.parse('007')).toBe(7);
    expect(integer.parse('784')).toBe(784);
    for (const text of [
      '',
      ' 1',
      '1 ',
      '+1',
      '-1',
      '0x1',
      '1e2',
      '0b1',
      '0o7',
      '1.0',
      '1_000',
      'Infinity',
      '１',
    ]) {
      expect(integer.safeParse(text).success, JSON.stringify(text)).toBe(false);
    }
  });
});
