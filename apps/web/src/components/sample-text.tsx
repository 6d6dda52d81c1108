'use client';

import { type FormEvent, useEffect, useState } from 'react';

interface Sample {
  ids: number[];
  text: string;
}

/**
 * A language model's sample box: a prompt continued by the model on the platform (the API's
 * POST /models/{id}/generate, the CLI's `lm generate`), with its length, temperature, top-k and seed;
 * the answer is the prompt and the added tokens decoded.
 */
export function SampleText({
  modelId,
  maxTokens,
  defaults,
}: {
  modelId: string;
  /** The API's limits and defaults (contracts' GENERATE_MAX_TOKENS, GENERATE_DEFAULTS). */
  maxTokens: number;
  defaults: { tokens: number; temperature: number; seed: number };
}) {
  const [prompt, setPrompt] = useState('once upon a time');
  const [tokens, setTokens] = useState(defaults.tokens);
  const [temperature, setTemperature] = useState(defaults.temperature);
  const [topK, setTopK] = useState(0);
  const [seed, setSeed] = useState(defaults.seed);
  const [sample, setSample] = useState<Sample | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  // Typing into the server-rendered form before React takes it over mixes the typed text with the
  // initial prompt; the form says when it is live (and the browser test waits for it).
  const [live, setLive] = useState(false);
  useEffect(() => setLive(true), []);

  async function generate(event: FormEvent) {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      const response = await fetch(`/api/models/${encodeURIComponent(modelId)}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // top-k 0: every token (the API takes no topK then).
        body: JSON.stringify({ prompt, tokens, temperature, seed, ...(topK > 0 ? { topK } : {}) }),
      });
      const body = await response.json().catch(() => null);
      if (!response.ok) throw new Error(body?.error?.message ?? `the server answered ${response.status}`);
      setSample(body as Sample);
    } catch (failure) {
      setSample(null);
      setError((failure as Error).message);
    } finally {
      setPending(false);
    }
  }

  return (
    <section
      className="panel stack"
      style={{ marginTop: '1rem' }}
      aria-labelledby="sample-text"
      data-testid="sample-text"
      data-live={live ? 'true' : 'false'}
    >
      <h2 id="sample-text" style={{ marginTop: 0 }}>
        Sample text
      </h2>
      <form className="stack" onSubmit={generate}>
        <label htmlFor="sample-prompt">Prompt</label>
        <textarea
          id="sample-prompt"
          rows={2}
          value={prompt}
          maxLength={4000}
          onChange={(event) => setPrompt(event.target.value)}
        />
        <div className="row">
          <label>
            tokens{' '}
            <input
              id="sample-tokens"
              type="number"
              min={1}
              max={maxTokens}
              value={tokens}
              onChange={(event) => setTokens(Number(event.target.value))}
            />
          </label>
          <label>
            temperature{' '}
            <input
              id="sample-temperature"
              type="number"
              min={0}
              max={100}
              step={0.1}
              value={temperature}
              onChange={(event) => setTemperature(Number(event.target.value))}
            />
          </label>
          <label title="0: every token">
            top-k{' '}
            <input
              id="sample-top-k"
              type="number"
              min={0}
              value={topK}
              onChange={(event) => setTopK(Number(event.target.value))}
            />
          </label>
          <label>
            seed{' '}
            <input
              id="sample-seed"
              type="number"
              min={0}
              value={seed}
              onChange={(event) => setSeed(Number(event.target.value))}
            />
          </label>
          <button type="submit" disabled={pending || prompt.trim() === ''}>
            {pending ? 'Generating…' : 'Generate'}
          </button>
        </div>
      </form>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {sample ? (
        <p className="sample-output" data-testid="sample-output" aria-live="polite">
          {sample.text}
        </p>
      ) : null}
    </section>
  );
}
