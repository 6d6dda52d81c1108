'use client';

import { useMemo, useState } from 'react';
import { LineChart } from './line-chart';

/**
 * One output's spectrum: every eigenvalue by rank, most positive first, positive ones (red) above zero
 * and negative ones (blue) below; on the log scale |λ| of each sign by its rank within the sign (the
 * most positive, and the most negative, at rank 1).
 */
export function SpectrumChart({
  eigenvalues,
  width,
  height,
  label,
}: {
  /** Most positive first, as the API serves them. */
  eigenvalues: number[];
  width: number;
  height: number;
  label: string;
}) {
  const [log, setLog] = useState(false);
  const data = useMemo(() => {
    if (!log) {
      return {
        x: eigenvalues.map((_, i) => i + 1),
        positive: eigenvalues.map((value) => (value > 0 ? value : null)),
        negative: eigenvalues.map((value) => (value < 0 ? value : null)),
      };
    }
    const positive = eigenvalues.filter((value) => value > 0);
    const negative = eigenvalues
      .filter((value) => value < 0)
      .map(Math.abs)
      .reverse();
    const length = Math.max(positive.length, negative.length);
    return {
      x: Array.from({ length }, (_, i) => i + 1),
      positive: Array.from({ length }, (_, i) => positive[i] ?? null),
      negative: Array.from({ length }, (_, i) => negative[i] ?? null),
    };
  }, [eigenvalues, log]);

  return (
    <div>
      <fieldset className="row" style={{ border: 'none', padding: 0, margin: '0 0 0.25rem' }}>
        <legend className="muted" style={{ float: 'left', marginRight: '0.5rem' }}>
          Scale
        </legend>
        <label className="row">
          <input type="radio" name="spectrum-scale" checked={!log} onChange={() => setLog(false)} /> linear λ
        </label>
        <label className="row">
          <input type="radio" name="spectrum-scale" checked={log} onChange={() => setLog(true)} /> log |λ|
        </label>
      </fieldset>
      <LineChart
        label={label}
        testId="spectrum-chart"
        x={data.x}
        series={[
          { label: log ? 'λ > 0' : 'positive λ', values: data.positive, color: '#b2182b', width: 2 },
          { label: log ? '|λ|, λ < 0' : 'negative λ', values: data.negative, color: '#2166ac', width: 2 },
        ]}
        width={width}
        height={height}
        xLabel={log ? 'rank within sign (largest |λ| first)' : 'rank (most positive first)'}
        yLabel={log ? '|λ|' : 'λ'}
        yLog={log}
      />
    </div>
  );
}
