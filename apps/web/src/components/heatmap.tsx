'use client';

import { useEffect, useRef } from 'react';
import { DIVERGING_LUT, LEGEND_GRADIENT, lutIndex } from '@/lib/colour-scale';

export interface HeatmapHover {
  row: number;
  column: number;
  value: number;
}

/**
 * A 28×28 (or any square) vector drawn pixel for pixel on a canvas on the shared diverging scale ±limit;
 * the canvas holds one pixel per value and CSS scales it up without smoothing.
 */
export function Heatmap({
  values,
  side,
  limit,
  size,
  label,
  onHover,
  grayscale = false,
}: {
  values: ArrayLike<number> | null;
  side: number;
  limit: number;
  size: number;
  label: string;
  onHover?: (hover: HeatmapHover | null) => void;
  /** Input images: black on white in [0, 1] rather than the diverging scale. */
  grayscale?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    if (!values) {
      context.clearRect(0, 0, side, side);
      canvas.current?.removeAttribute('data-drawn');
      return;
    }
    const image = context.createImageData(side, side);
    const pixels = image.data;
    for (let i = 0; i < side * side; i++) {
      const value = (values[i] as number) ?? 0;
      if (grayscale) {
        const shade = 255 - Math.round(Math.max(0, Math.min(1, value)) * 255);
        pixels[i * 4] = shade;
        pixels[i * 4 + 1] = shade;
        pixels[i * 4 + 2] = shade;
      } else {
        const entry = lutIndex(value, limit) * 3;
        pixels[i * 4] = DIVERGING_LUT[entry] as number;
        pixels[i * 4 + 1] = DIVERGING_LUT[entry + 1] as number;
        pixels[i * 4 + 2] = DIVERGING_LUT[entry + 2] as number;
      }
      pixels[i * 4 + 3] = 255;
    }
    context.putImageData(image, 0, 0);
    canvas.current?.setAttribute('data-drawn', 'true');
  }, [values, side, limit, grayscale]);

  return (
    <canvas
      ref={canvas}
      className="heatmap"
      width={side}
      height={side}
      style={{ width: size, height: size }}
      role="img"
      aria-label={label}
      onMouseMove={
        onHover && values
          ? (event) => {
              const rect = event.currentTarget.getBoundingClientRect();
              const column = Math.min(
                side - 1,
                Math.floor(((event.clientX - rect.left) / rect.width) * side),
              );
              const row = Math.min(side - 1, Math.floor(((event.clientY - rect.top) / rect.height) * side));
              onHover({ row, column, value: values[row * side + column] as number });
            }
          : undefined
      }
      onMouseLeave={onHover ? () => onHover(null) : undefined}
    />
  );
}

/** The legend of a view's shared scale: −limit (blue), 0 (white), +limit (red). */
export function ScaleLegend({ limit, caption }: { limit: number; caption?: string }) {
  const shown = limit > 0 ? Number(limit.toPrecision(3)) : 0;
  return (
    <div
      className="legend"
      role="img"
      aria-label={`Colour scale from ${-shown} (blue) through 0 (white) to ${shown} (red)`}
    >
      <span>{-shown}</span>
      <span style={{ width: 160, height: 12, background: LEGEND_GRADIENT, border: '1px solid #d9dde3' }} />
      <span>+{shown}</span>
      {caption ? <span>{caption}</span> : null}
    </div>
  );
}
