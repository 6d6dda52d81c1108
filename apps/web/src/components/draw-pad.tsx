'use client';

import { type PointerEvent, useEffect, useRef } from 'react';

const SIDE = 28;
const SCALE = 8;

/** A 28×28 drawing surface (pointer input) with a soft brush like MNIST's anti-aliased strokes. */
export function DrawPad({ onChange }: { onChange: (pixels: Float32Array) => void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const pixels = useRef(new Float32Array(SIDE * SIDE));
  const drawing = useRef(false);

  const paint = () => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const image = context.createImageData(SIDE, SIDE);
    for (let i = 0; i < SIDE * SIDE; i++) {
      const shade = 255 - Math.round((pixels.current[i] as number) * 255);
      image.data[i * 4] = shade;
      image.data[i * 4 + 1] = shade;
      image.data[i * 4 + 2] = shade;
      image.data[i * 4 + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  };

  useEffect(paint, []);

  const stroke = (event: PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * SIDE;
    const y = ((event.clientY - rect.top) / rect.height) * SIDE;
    for (let row = Math.floor(y) - 2; row <= Math.floor(y) + 2; row++) {
      for (let column = Math.floor(x) - 2; column <= Math.floor(x) + 2; column++) {
        if (row < 0 || column < 0 || row >= SIDE || column >= SIDE) continue;
        const distance = Math.hypot(column + 0.5 - x, row + 0.5 - y);
        const ink = Math.max(0, 1 - distance / 1.8);
        const index = row * SIDE + column;
        pixels.current[index] = Math.min(1, (pixels.current[index] as number) + ink);
      }
    }
    paint();
  };

  return (
    <div className="stack">
      <canvas
        ref={canvas}
        width={SIDE}
        height={SIDE}
        className="heatmap"
        style={{ width: SIDE * SCALE, height: SIDE * SCALE, touchAction: 'none', cursor: 'crosshair' }}
        aria-label="Drawing pad, 28 by 28 pixels: draw a digit with the mouse or a finger"
        data-testid="draw-pad"
        onPointerDown={(event) => {
          drawing.current = true;
          event.currentTarget.setPointerCapture(event.pointerId);
          stroke(event);
        }}
        onPointerMove={(event) => {
          if (drawing.current) stroke(event);
        }}
        onPointerUp={() => {
          drawing.current = false;
          onChange(pixels.current.slice());
        }}
      />
      <button
        type="button"
        className="secondary"
        onClick={() => {
          pixels.current.fill(0);
          paint();
        }}
      >
        Clear drawing
      </button>
    </div>
  );
}
