'use client';

import { type KeyboardEvent, type PointerEvent, useEffect, useRef, useState } from 'react';

const SIDE = 28;
const SCALE = 8;
/** Keyboard edits come one cell at a time: explain once the keys pause, not after every cell. */
const KEYBOARD_SETTLE_MS = 250;

const KEYBOARD_HELP =
  'Drawing pad, 28 by 28 pixels: draw a digit with the mouse or a finger, or from the keyboard: ' +
  'arrow keys move the cursor cell, Shift with an arrow paints as it moves, Space or Enter paints ' +
  'the cell, Delete or Backspace erases it.';

const MOVES: Record<string, [number, number]> = {
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
};

interface Cell {
  row: number;
  column: number;
}

const clampToPad = (value: number) => Math.min(SIDE - 1, Math.max(0, value));

/** Adds the soft brush (like MNIST's anti-aliased strokes) centred at (x, y) in pixel units. */
function brush(pixels: Float32Array, x: number, y: number): void {
  for (let row = Math.floor(y) - 2; row <= Math.floor(y) + 2; row++) {
    for (let column = Math.floor(x) - 2; column <= Math.floor(x) + 2; column++) {
      if (row < 0 || column < 0 || row >= SIDE || column >= SIDE) continue;
      const distance = Math.hypot(column + 0.5 - x, row + 0.5 - y);
      const ink = Math.max(0, 1 - distance / 1.8);
      const index = row * SIDE + column;
      pixels[index] = Math.min(1, (pixels[index] as number) + ink);
    }
  }
}

/**
 * A 28×28 drawing surface for pointer and keyboard: a cursor cell (outlined while the pad has focus)
 * moves with the arrow keys, Space/Enter paints there with the pointer's brush, Delete/Backspace
 * erases the cell.
 */
export function DrawPad({ onChange }: { onChange: (pixels: Float32Array) => void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const pixels = useRef(new Float32Array(SIDE * SIDE));
  const drawing = useRef(false);
  const settle = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [cursor, setCursor] = useState<Cell>({ row: SIDE / 2, column: SIDE / 2 });
  const [focused, setFocused] = useState(false);

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
  useEffect(
    () => () => {
      if (settle.current) clearTimeout(settle.current);
    },
    [],
  );

  const report = () => {
    if (settle.current) clearTimeout(settle.current);
    settle.current = null;
    onChange(pixels.current.slice());
  };

  const reportWhenSettled = () => {
    if (settle.current) clearTimeout(settle.current);
    settle.current = setTimeout(report, KEYBOARD_SETTLE_MS);
  };

  const stroke = (event: PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * SIDE;
    const y = ((event.clientY - rect.top) / rect.height) * SIDE;
    brush(pixels.current, x, y);
    paint();
    setCursor({ row: clampToPad(Math.floor(y)), column: clampToPad(Math.floor(x)) });
  };

  const paintCell = (cell: Cell) => {
    brush(pixels.current, cell.column + 0.5, cell.row + 0.5);
    paint();
    reportWhenSettled();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const move = MOVES[event.key];
    if (move) {
      event.preventDefault();
      const next = { row: clampToPad(cursor.row + move[0]), column: clampToPad(cursor.column + move[1]) };
      setCursor(next);
      if (event.shiftKey) paintCell(next);
    } else if (event.key === ' ' || event.key === 'Enter') {
      event.preventDefault();
      paintCell(cursor);
    } else if (event.key === 'Delete' || event.key === 'Backspace') {
      event.preventDefault();
      pixels.current[cursor.row * SIDE + cursor.column] = 0;
      paint();
      reportWhenSettled();
    }
  };

  return (
    <div className="stack">
      <div style={{ position: 'relative', width: SIDE * SCALE, height: SIDE * SCALE }}>
        <canvas
          ref={canvas}
          width={SIDE}
          height={SIDE}
          className="heatmap"
          style={{ width: SIDE * SCALE, height: SIDE * SCALE, touchAction: 'none', cursor: 'crosshair' }}
          tabIndex={0}
          aria-label={KEYBOARD_HELP}
          data-testid="draw-pad"
          data-cursor={`${cursor.row},${cursor.column}`}
          onFocus={() => setFocused(true)}
          onBlur={() => setFocused(false)}
          onKeyDown={onKeyDown}
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
            report();
          }}
        />
        {focused ? (
          <div
            aria-hidden="true"
            data-testid="draw-pad-cursor"
            style={{
              position: 'absolute',
              // Inside the canvas's 1 px border, one cell of its 28 × 28 grid.
              left: `calc(1px + ${cursor.column} * (100% - 2px) / ${SIDE})`,
              top: `calc(1px + ${cursor.row} * (100% - 2px) / ${SIDE})`,
              width: `calc((100% - 2px) / ${SIDE})`,
              height: `calc((100% - 2px) / ${SIDE})`,
              outline: '2px solid var(--accent)',
              pointerEvents: 'none',
            }}
          />
        ) : null}
      </div>
      <p className="muted" aria-live="polite" style={{ margin: 0, minHeight: '1.5em' }}>
        {focused ? `Cursor: row ${cursor.row + 1}, column ${cursor.column + 1} of ${SIDE}` : ''}
      </p>
      <button
        type="button"
        className="secondary"
        onClick={() => {
          if (settle.current) clearTimeout(settle.current);
          settle.current = null;
          pixels.current.fill(0);
          paint();
        }}
      >
        Clear drawing
      </button>
    </div>
  );
}
