'use client';

import type { ActivationsOutputView, ActivationsRunView } from '@bilinear-lab/contracts';
import { useActionState, useState } from 'react';
import { type ActionState, startActivations } from '@/app/actions';
import { number } from '@/lib/format';
import { ActionError } from './action-error';
import { LineChart } from './line-chart';

/** A red (positive) or blue (negative) background, as strong as |value| is against the largest. */
function shade(value: number, scale: number): string {
  const strength = scale > 0 ? Math.min(1, Math.abs(value) / scale) : 0;
  return value >= 0 ? `rgba(192, 57, 43, ${0.85 * strength})` : `rgba(46, 100, 181, ${0.85 * strength})`;
}

const TOKEN_STYLE: React.CSSProperties = {
  color: '#111',
  borderRadius: 3,
  padding: '0 0.15rem',
  fontFamily: 'var(--mono, ui-monospace, monospace)',
  whiteSpace: 'pre',
};

/** One output's contexts, series by series, with its histogram and correlation curve. */
export function ActivationsView({ output, run }: { output: ActivationsOutputView; run: ActivationsRunView }) {
  const [chosen, setChosen] = useState(0);
  const series = output.series[chosen] ?? output.series[0];
  const contexts = series?.contexts ?? [];
  const scale = Math.max(0, ...contexts.flatMap((context) => context.values.map(Math.abs)));
  const name = (s: NonNullable<typeof series>) =>
    s.kind === 'output'
      ? 'the output'
      : `${s.sign === 'positive' ? 'p' : 'n'}${(s.rank ?? 0) + 1} (λ = ${number(s.eigenvalue ?? 0, 3)})`;
  const { histogram, correlation } = output;
  const width = (histogram.max - histogram.min) / Math.max(1, histogram.counts.length);
  return (
    <div className="stack">
      <p className="muted">
        {run.positions ?? '—'} positions of {run.parameters.dataset}; the top {run.parameters.top} per
        direction, each token coloured by its value (red positive, blue negative), the activating one framed.
      </p>
      <div className="row">
        <label htmlFor={`activation-series-${output.index}`}>Contexts of</label>
        <select
          id={`activation-series-${output.index}`}
          value={chosen}
          onChange={(event) => setChosen(Number(event.target.value))}
        >
          {output.series.map((s, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a series is its position in the output
            <option key={i} value={i}>
              {name(s)}
            </option>
          ))}
        </select>
      </div>
      <ol className="stack" data-testid="activation-context-list" style={{ listStyle: 'none', padding: 0 }}>
        {contexts.map((context) => (
          <li
            key={`${context.sequence}:${context.position}`}
            className="row"
            data-testid="activation-context"
          >
            <span className="muted" style={{ minWidth: '5.5rem', textAlign: 'right' }}>
              {number(context.value, 4)}
            </span>
            <span>
              {context.tokens.map((token, i) => (
                <span
                  // biome-ignore lint/suspicious/noArrayIndexKey: tokens repeat; their place tells them apart
                  key={i}
                  data-testid="activation-token"
                  data-focus={i === context.focus ? 'true' : undefined}
                  title={`${context.text?.[i] ?? token} (id ${token}): ${number(context.values[i] ?? 0, 4)}`}
                  style={{
                    ...TOKEN_STYLE,
                    background: shade(context.values[i] ?? 0, scale),
                    outline: i === context.focus ? '2px solid #111' : undefined,
                    fontWeight: i === context.focus ? 700 : undefined,
                  }}
                >
                  {context.text?.[i] ?? `#${token}`}
                </span>
              ))}
            </span>
          </li>
        ))}
      </ol>
      <div className="row" style={{ alignItems: 'flex-start', flexWrap: 'wrap' }}>
        <div data-testid="activation-histogram">
          <LineChart
            label="Activation histogram"
            x={histogram.counts.map((_, i) => histogram.min + (i + 0.5) * width)}
            series={[{ label: 'positions', values: histogram.counts, color: '#c0392b' }]}
            bars
            width={300}
            height={180}
            xLabel="activation"
          />
          {histogram.zeros > 0 ? <p className="muted">{histogram.zeros} positions at exactly 0</p> : null}
        </div>
        {correlation !== null ? (
          <div data-testid="low-rank-correlation">
            <LineChart
              label="Low-rank correlation"
              x={correlation.k}
              series={[{ label: 'r', values: correlation.r, color: '#2e64b5' }]}
              width={300}
              height={180}
              xLabel="k (top eigenpairs by |λ|)"
              yLabel="r"
              yRange={[Math.min(0, ...correlation.r.map((r) => r ?? 0)), 1]}
            />
            <p className="muted">over {correlation.active} active positions</p>
          </div>
        ) : null}
      </div>
    </div>
  );
}

/** Starts the decomposition's activations job. */
export function ActivationsStartForm({ decompositionId }: { decompositionId: string }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(
    startActivations.bind(null, decompositionId),
    {},
  );
  return (
    <form action={action} className="row" aria-label="Read top-activating contexts">
      <label htmlFor="activations-dataset">Corpus</label>
      <input id="activations-dataset" name="dataset" placeholder="stories:200" size={12} />
      <label htmlFor="activations-tokens">Tokens</label>
      <input id="activations-tokens" name="maxTokens" type="number" min={2} placeholder="20000" size={7} />
      <label htmlFor="activations-top">Contexts</label>
      <input id="activations-top" name="top" type="number" min={1} max={50} placeholder="20" size={4} />
      <label htmlFor="activations-eigenvectors">Eigenvectors per sign</label>
      <input
        id="activations-eigenvectors"
        name="eigenvectors"
        type="number"
        min={0}
        max={8}
        placeholder="4"
        size={3}
      />
      <button type="submit" disabled={pending}>
        {pending ? 'Starting…' : 'Read top-activating contexts'}
      </button>
      <ActionError state={state} />
    </form>
  );
}
