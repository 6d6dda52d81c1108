'use client';

import type { KeyboardEvent } from 'react';

/** A tab list of outputs (classes); arrow keys, Home and End move between them as WAI-ARIA tabs do. */
export function ClassTabs({
  outputs,
  selected,
  onSelect,
  controls,
  label = 'Class',
}: {
  outputs: { index: number; label: string }[];
  selected: number;
  onSelect: (index: number) => void;
  controls: string;
  label?: string;
}) {
  const position = Math.max(
    0,
    outputs.findIndex((output) => output.index === selected),
  );
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    let next = position;
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') next = (position + 1) % outputs.length;
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp')
      next = (position - 1 + outputs.length) % outputs.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = outputs.length - 1;
    else return;
    event.preventDefault();
    const target = outputs[next];
    if (!target) return;
    onSelect(target.index);
    const button = event.currentTarget.querySelector<HTMLButtonElement>(`[data-index="${target.index}"]`);
    button?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label={label} onKeyDown={onKeyDown} tabIndex={-1}>
      {outputs.map((output) => {
        const active = output.index === selected;
        return (
          <button
            key={output.index}
            type="button"
            role="tab"
            data-index={output.index}
            aria-selected={active}
            aria-controls={controls}
            tabIndex={active ? 0 : -1}
            onClick={() => onSelect(output.index)}
          >
            {output.label}
          </button>
        );
      })}
    </div>
  );
}
