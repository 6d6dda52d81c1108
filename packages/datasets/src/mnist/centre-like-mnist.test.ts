import { describe, expect, it } from 'vitest';
import { centreLikeMnist, MNIST_SIDE } from './centre-like-mnist.js';

const SIDE = MNIST_SIDE;

/** Bounding box and centre of mass of the ink (> 0.05), measured independently of the function. */
function measure(pixels: Float32Array) {
  let [top, bottom, left, right] = [SIDE, -1, SIDE, -1];
  let [mass, rows, columns] = [0, 0, 0];
  for (let row = 0; row < SIDE; row++) {
    for (let column = 0; column < SIDE; column++) {
      const value = pixels[row * SIDE + column] as number;
      mass += value;
      rows += value * row;
      columns += value * column;
      if (value <= 0.05) continue;
      [top, bottom] = [Math.min(top, row), Math.max(bottom, row)];
      [left, right] = [Math.min(left, column), Math.max(right, column)];
    }
  }
  return {
    height: bottom - top + 1,
    width: right - left + 1,
    rowCentre: rows / mass,
    columnCentre: columns / mass,
  };
}

/** A small digit-like stroke (a "7": top bar and a diagonal) drawn at some corner of the pad. */
function seven(offsetRow: number, offsetColumn: number, size: number): Float32Array {
  const pixels = new Float32Array(SIDE * SIDE);
  for (let i = 0; i < size; i++) {
    pixels[offsetRow * SIDE + offsetColumn + i] = 1;
    const row = offsetRow + i;
    const column = offsetColumn + size - 1 - Math.floor(i / 2);
    pixels[row * SIDE + column] = 1;
  }
  return pixels;
}

describe('centreLikeMnist', () => {
  it.each([
    [0, 0, 8],
    [17, 3, 10],
    [2, 19, 9],
    [4, 4, 14],
  ])(
    'scales a stroke at (%i, %i), %i pixels tall, to a 20-pixel box centred by mass',
    (row, column, size) => {
      const framed = centreLikeMnist(seven(row, column, size));
      const after = measure(framed);
      expect(Math.max(after.height, after.width)).toBeGreaterThanOrEqual(19);
      expect(Math.max(after.height, after.width)).toBeLessThanOrEqual(21);
      // Whole-pixel shifts: the centre of mass lies within half a pixel of the middle, 13.5.
      expect(Math.abs(after.rowCentre - 13.5)).toBeLessThanOrEqual(0.5 + 1e-9);
      expect(Math.abs(after.columnCentre - 13.5)).toBeLessThanOrEqual(0.5 + 1e-9);
      for (const value of framed) expect(value >= 0 && value <= 1).toBe(true);
    },
  );

  it('keeps the aspect ratio of a tall, thin stroke', () => {
    const pixels = new Float32Array(SIDE * SIDE);
    for (let row = 2; row < 12; row++) {
      pixels[row * SIDE + 3] = 1;
      pixels[row * SIDE + 4] = 1;
    }
    const after = measure(centreLikeMnist(pixels));
    expect(after.height).toBe(20);
    expect(after.width).toBeLessThanOrEqual(5);
  });

  it('is (nearly) a fixed point: framing a framed digit again changes little', () => {
    const once = centreLikeMnist(seven(15, 15, 7));
    const twice = centreLikeMnist(once);
    let difference = 0;
    let norm = 0;
    for (let i = 0; i < once.length; i++) {
      difference += ((once[i] as number) - (twice[i] as number)) ** 2;
      norm += (once[i] as number) ** 2;
    }
    expect(Math.sqrt(difference / norm)).toBeLessThan(0.05);
  });

  it('leaves an empty pad empty and refuses a wrong size', () => {
    expect(Array.from(centreLikeMnist(new Float32Array(SIDE * SIDE))).every((value) => value === 0)).toBe(
      true,
    );
    expect(() => centreLikeMnist(new Float32Array(10))).toThrow(/not a 28 × 28 image/);
  });
});
