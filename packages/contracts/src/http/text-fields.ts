import { z } from 'zod';

// Strings that come from users, checked where the schemas are, once for every route.

// A UTF-16 surrogate not in a high–low pair is not a Unicode character: Postgres cannot store it
// (the driver's UTF-8 has no encoding for it) and neither can it store NUL in a text or jsonb value.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `value` cannot be stored as text, in words; null when it can. */
export function textProblem(value: string): string | null {
  const nul = value.indexOf('\u0000');
  if (nul >= 0) return `contains a NUL character (\\u0000) at position ${nul}, which text cannot hold`;
  const lone = LONE_SURROGATE.exec(value);
  if (lone) {
    const code = lone[0].charCodeAt(0).toString(16);
    return `contains a lone UTF-16 surrogate (\\u${code}) at position ${lone.index}, which is not a Unicode character`;
  }
  return null;
}

/** A name (of a project, user, key, dataset, model): trimmed, 1..max characters, storable text. */
export function nameText(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .superRefine((value, context) => {
      const problem = textProblem(value);
      if (problem !== null) context.addIssue({ code: 'custom', message: problem });
    });
}

/**
 * A non-negative integer written in plain decimal digits, as query strings, path segments and
 * multipart fields carry numbers: Number() would also read `0x1`, `1e2`, `0b1`, ` 7 ` and `''`.
 */
export function decimalInteger() {
  return z
    .string()
    .regex(
      /^\d{1,15}$/,
      'expected a whole number in decimal digits (like 3), without sign, exponent or base prefix',
    )
    .transform(Number);
}
