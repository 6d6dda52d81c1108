'use client';

import { useState } from 'react';
import type { TextActivations } from '@/app/api/decompositions/[decompositionId]/text/route';
import { number } from '@/lib/format';

const SAMPLE = 'once upon a time there was a little girl who liked to swim in the river';

/** A red (positive) or blue (negative) background, as strong as |value| is against the largest. */
function shade(value: number, scale: number): string {
  const strength = scale > 0 ? Math.min(1, Math.abs(value) / scale) : 0;
  return value >= 0 ? `rgba(192, 57, 43, ${0.85 * strength})` : `rgba(46, 100, 181, ${0.85 * strength})`;
}

/**
 * Try your own text: the text's tokens coloured by the output's value at each (the MLP's output along
 * the decomposed direction) or by one eigenvector's λ (vᵀx)² there; a token picked lists the
 * eigenvectors that add most at that position.
 */
export function TextActivationsBox({ decompositionId, output }: { decompositionId: string; output: number }) {
  const [text, setText] = useState(SAMPLE);
  const [result, setResult] = useState<TextActivations | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [series, setSeries] = useState('output');
  const [position, setPosition] = useState<number | null>(null);

  async function read() {
    setPending(true);
    setError(null);
    try {
      const response = await fetch(`/api/decompositions/${decompositionId}/text`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text, output }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body?.error?.message ?? `the server answered ${response.status}`);
      setResult(body as TextActivations);
      setPosition(null);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setPending(false);
    }
  }

  const values =
    result === null
      ? []
      : series === 'output'
        ? result.outputs
        : (result.eigenvectors.find((vector) => vector.name === series)?.contributions ?? []);
  const scale = Math.max(0, ...values.map(Math.abs));
  const picked = position === null || result === null ? null : position;

  return (
    <section className="stack" aria-labelledby="try-text" data-testid="text-activations">
      <h3 id="try-text">Try your own text</h3>
      <textarea
        aria-label="Text to read"
        rows={2}
        value={text}
        onChange={(event) => setText(event.target.value)}
        maxLength={4000}
      />
      <div className="row">
        <button type="button" onClick={read} disabled={pending || text.trim() === ''}>
          {pending ? 'Reading…' : 'Read'}
        </button>
        {result ? (
          <>
            <label htmlFor="text-series">Colour by</label>
            <select id="text-series" value={series} onChange={(event) => setSeries(event.target.value)}>
              <option value="output">the output (uᵀ MLP(x))</option>
              {result.eigenvectors.map((vector) => (
                <option key={vector.name} value={vector.name}>
                  {vector.name} (λ = {number(vector.eigenvalue, 3)})
                </option>
              ))}
            </select>
          </>
        ) : null}
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {result ? (
        <>
          <p className="token-text" data-testid="text-tokens">
            {result.tokens.map((token, t) => (
              <button
                type="button"
                // Tokens repeat; their position is what tells them apart.
                // biome-ignore lint/suspicious/noArrayIndexKey: positions are the identity here
                key={t}
                className="text-token"
                aria-pressed={picked === t}
                title={`${token} (id ${result.ids[t]}): ${number(values[t], 4)}`}
                style={{ background: shade(values[t] ?? 0, scale) }}
                onClick={() => setPosition(t)}
              >
                {token}
              </button>
            ))}
          </p>
          {picked !== null ? (
            <table data-testid="position-contributions">
              <caption>
                “{result.tokens[picked]}” at position {picked}: output {number(result.outputs[picked], 4)}, of
                which the stored eigenvectors add {number(result.explained[picked], 4)} and the others{' '}
                {number((result.outputs[picked] ?? 0) - (result.explained[picked] ?? 0), 4)}
              </caption>
              <thead>
                <tr>
                  <th>eigenvector</th>
                  <th>λ</th>
                  <th>λ (vᵀx)²</th>
                </tr>
              </thead>
              <tbody>
                {[...result.eigenvectors]
                  .sort(
                    (a, b) => Math.abs(b.contributions[picked] ?? 0) - Math.abs(a.contributions[picked] ?? 0),
                  )
                  .slice(0, 8)
                  .map((vector) => (
                    <tr key={vector.name}>
                      <td>{vector.name}</td>
                      <td>{number(vector.eigenvalue, 4)}</td>
                      <td>{number(vector.contributions[picked], 4)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">Pick a token to see which eigenvectors add most there.</p>
          )}
        </>
      ) : null}
    </section>
  );
}
