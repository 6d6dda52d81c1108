import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { decimalNumber, wholeNumberUpTo } from './options.js';

describe('decimalNumber', () => {
  it('reads plain and exponent forms', () => {
    const parse = decimalNumber(0);
    expect(parse('0.5')).toBe(0.5);
    expect(parse('1e-3')).toBe(0.001);
    expect(parse('.25')).toBe(0.25);
    expect(parse('+2')).toBe(2);
    expect(parse('0')).toBe(0);
  });

  it('refuses negatives, non-numbers, hex, Infinity and the bound itself when exclusive', () => {
    for (const text of ['-1', 'abc', '0x10', 'Infinity', '1e400', '', '1,5']) {
      expect(() => decimalNumber(0)(text)).toThrow(InvalidArgumentError);
    }
    expect(() => decimalNumber(0, true)('0')).toThrow('It must be a number > 0');
  });
});

describe('wholeNumberUpTo', () => {
  it('accepts the range and nothing else', () => {
    const parse = wholeNumberUpTo(0, 4294967295);
    expect(parse('0')).toBe(0);
    expect(parse('4294967295')).toBe(4294967295);
    expect(() => parse('4294967296')).toThrow('It must be a whole number from 0 to 4294967295.');
    expect(() => parse('1.5')).toThrow(InvalidArgumentError);
  });
});
