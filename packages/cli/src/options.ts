import { InvalidArgumentError } from 'commander';

const WHOLE = /^\d+$/;

function parseWhole(text: string, min: number): number | null {
  const trimmed = text.trim();
  if (!WHOLE.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) && value >= min ? value : null;
}

/** A commander argument parser for a whole number ≥ min (decimal digits only: no 1e3, no 0x10). */
export function wholeNumber(min: number): (text: string) => number {
  return (text) => {
    const value = parseWhole(text, min);
    if (value === null) throw new InvalidArgumentError(`It must be a whole number ≥ ${min}.`);
    return value;
  };
}

/** A commander argument parser for a comma-separated list of whole numbers ≥ min, e.g. `0,3,7`. */
export function wholeNumberList(min: number): (text: string) => number[] {
  return (text) => {
    const items = text.split(',');
    const values = items.map((item) => parseWhole(item, min));
    const bad = values.indexOf(null);
    if (bad >= 0) {
      throw new InvalidArgumentError(
        `It must be a comma-separated list of whole numbers ≥ ${min} (e.g. 0,3,7); "${items[bad]}" is not one.`,
      );
    }
    return values as number[];
  };
}
