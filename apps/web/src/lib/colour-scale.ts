// One diverging scale for every heatmap: blue (negative) – white (0) – red (positive), symmetric around
// zero so that white always means 0 and the same colour means the same value across a view.

const STOPS: [position: number, rgb: [number, number, number]][] = [
  [0, [5, 48, 97]],
  [0.2, [33, 102, 172]],
  [0.4, [146, 197, 222]],
  [0.5, [247, 247, 247]],
  [0.6, [244, 165, 130]],
  [0.8, [178, 24, 43]],
  [1, [103, 0, 31]],
];

const LUT_SIZE = 256;

/** 256 RGB entries from the most negative (0) through white (127.5) to the most positive (255). */
export const DIVERGING_LUT: Uint8ClampedArray = (() => {
  const lut = new Uint8ClampedArray(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const t = i / (LUT_SIZE - 1);
    let s = 0;
    while (s < STOPS.length - 2 && t > (STOPS[s + 1] as (typeof STOPS)[number])[0]) s++;
    const [p0, c0] = STOPS[s] as (typeof STOPS)[number];
    const [p1, c1] = STOPS[s + 1] as (typeof STOPS)[number];
    const f = (t - p0) / (p1 - p0);
    for (let channel = 0; channel < 3; channel++) {
      lut[i * 3 + channel] = Math.round(
        (c0[channel] as number) + f * ((c1[channel] as number) - (c0[channel] as number)),
      );
    }
  }
  return lut;
})();

/** The LUT index of a value on a scale of ±limit. */
export function lutIndex(value: number, limit: number): number {
  if (!(limit > 0)) return 127;
  const t = (value / limit + 1) / 2;
  return Math.max(0, Math.min(LUT_SIZE - 1, Math.round(t * (LUT_SIZE - 1))));
}

export function cssColour(value: number, limit: number): string {
  const i = lutIndex(value, limit) * 3;
  return `rgb(${DIVERGING_LUT[i]}, ${DIVERGING_LUT[i + 1]}, ${DIVERGING_LUT[i + 2]})`;
}

export const LEGEND_GRADIENT = `linear-gradient(to right, ${STOPS.map(
  ([position, [r, g, b]]) => `rgb(${r}, ${g}, ${b}) ${position * 100}%`,
).join(', ')})`;

/** The largest |value| of some vectors: the shared limit of a view's scale. */
export function symmetricLimit(values: ArrayLike<number>, from = 0, to = values.length): number {
  let limit = 0;
  for (let i = from; i < to; i++) limit = Math.max(limit, Math.abs(values[i] as number));
  return limit;
}
