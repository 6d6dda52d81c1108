// A digit drawn on a pad, prepared as MNIST's were (LeCun et al.): the ink's bounding box scaled,
// aspect kept, to fit 20 × 20, then placed in the 28 × 28 frame with its centre of mass at the
// middle. A classifier trained on MNIST has only ever seen digits framed this way; an off-centre or
// small stroke reads as another class.

export const MNIST_SIDE = 28;
const BOX = 20;
/** Ink below this is the pad's background (anti-aliasing leftovers do not widen the box). */
const INK = 0.05;

/**
 * The side × side image (row-major, values 0…1) centred and scaled like an MNIST digit; an image
 * with no ink comes back unchanged (a copy).
 */
export function centreLikeMnist(pixels: ArrayLike<number>, side = MNIST_SIDE): Float32Array {
  if (pixels.length !== side * side) {
    throw new RangeError(`centreLikeMnist: ${pixels.length} pixels is not a ${side} × ${side} image`);
  }
  let top = side;
  let bottom = -1;
  let left = side;
  let right = -1;
  for (let row = 0; row < side; row++) {
    for (let column = 0; column < side; column++) {
      if ((pixels[row * side + column] as number) <= INK) continue;
      top = Math.min(top, row);
      bottom = Math.max(bottom, row);
      left = Math.min(left, column);
      right = Math.max(right, column);
    }
  }
  if (bottom < 0) return Float32Array.from(pixels);

  const height = bottom - top + 1;
  const width = right - left + 1;
  const scale = BOX / Math.max(height, width);
  const scaledHeight = Math.max(1, Math.round(height * scale));
  const scaledWidth = Math.max(1, Math.round(width * scale));
  const at = (row: number, column: number) => {
    const r = Math.min(Math.max(row, 0), height - 1) + top;
    const c = Math.min(Math.max(column, 0), width - 1) + left;
    return pixels[r * side + c] as number;
  };
  // Bilinear resampling of the box, pixel centres to pixel centres.
  const scaled = new Float32Array(scaledHeight * scaledWidth);
  for (let row = 0; row < scaledHeight; row++) {
    const y = (row + 0.5) / scale - 0.5;
    const y0 = Math.floor(y);
    const fy = y - y0;
    for (let column = 0; column < scaledWidth; column++) {
      const x = (column + 0.5) / scale - 0.5;
      const x0 = Math.floor(x);
      const fx = x - x0;
      scaled[row * scaledWidth + column] =
        (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
        fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
    }
  }

  let mass = 0;
  let rowMoment = 0;
  let columnMoment = 0;
  for (let row = 0; row < scaledHeight; row++) {
    for (let column = 0; column < scaledWidth; column++) {
      const value = scaled[row * scaledWidth + column] as number;
      mass += value;
      rowMoment += value * row;
      columnMoment += value * column;
    }
  }
  // Pixel (i, j) has its centre at (i + 0.5, j + 0.5): the frame's middle is pixel coordinate
  // (side − 1) / 2. The shift is whole pixels, as MNIST's was; clamped so the box stays in frame.
  const middle = (side - 1) / 2;
  const shift = (moment: number, extent: number) =>
    Math.min(Math.max(Math.round(middle - moment / mass), 0), side - extent);
  const rowShift = shift(rowMoment, scaledHeight);
  const columnShift = shift(columnMoment, scaledWidth);
  const framed = new Float32Array(side * side);
  for (let row = 0; row < scaledHeight; row++) {
    for (let column = 0; column < scaledWidth; column++) {
      framed[(row + rowShift) * side + column + columnShift] = Math.min(
        1,
        Math.max(0, scaled[row * scaledWidth + column] as number),
      );
    }
  }
  return framed;
}
