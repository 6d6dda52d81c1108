'use client';

import type { SparseAutoencoderView } from '@bilinear-lab/contracts';
import { useActionState, useState } from 'react';
import { type ActionState, decomposeLanguageModel } from '@/app/actions';
import { ActionError } from './action-error';

type Directions = 'tokens' | 'all-tokens' | 'features' | 'all-features';

/**
 * A language model's decomposition: which layer, along which directions — tokens (ids or words),
 * every token, or an output SAE's features — optionally over an input SAE's features (DᵀQD).
 */
export function LanguageModelDecomposeForm({
  projectId,
  modelId,
  layers,
  saes,
}: {
  projectId: string;
  modelId: string;
  layers: number;
  saes: SparseAutoencoderView[];
}) {
  const [state, action, pending] = useActionState<ActionState, FormData>(
    decomposeLanguageModel.bind(null, projectId, modelId),
    {},
  );
  const [directions, setDirections] = useState<Directions>('tokens');
  const [layer, setLayer] = useState(0);
  const outputSaes = saes.filter((sae) => sae.hookPoint === 'mlp-out' && sae.layer === layer);
  const inputSaes = saes.filter((sae) => sae.hookPoint === 'mlp-in' && sae.layer === layer);
  const choices: [Directions, string][] = [
    ['tokens', 'tokens'],
    ['all-tokens', 'every token'],
    ...(outputSaes.length > 0
      ? ([
          ['features', 'SAE features'],
          ['all-features', 'every SAE feature'],
        ] as [Directions, string][])
      : []),
  ];
  return (
    <form action={action} className="stack" aria-label="New decomposition">
      <div className="row">
        <label htmlFor="lm-layer">Layer</label>
        <select
          id="lm-layer"
          name="layer"
          value={layer}
          onChange={(event) => setLayer(Number(event.target.value))}
        >
          {Array.from({ length: layers }, (_, i) => `${i}`).map((index) => (
            <option key={index} value={index}>
              {index}
            </option>
          ))}
        </select>
        <label htmlFor="lm-topk">Eigenvectors per sign</label>
        <input
          id="lm-topk"
          name="topK"
          type="number"
          min={1}
          max={256}
          defaultValue={8}
          style={{ width: '5rem' }}
        />
      </div>
      <fieldset className="row">
        <legend>Directions</legend>
        {choices.map(([value, label]) => (
          <label key={value} className="check">
            <input
              type="radio"
              name="directions"
              value={value}
              checked={directions === value}
              onChange={() => setDirections(value)}
            />
            <span>{label}</span>
          </label>
        ))}
      </fieldset>
      {directions === 'tokens' ? (
        <>
          <div className="row">
            <label htmlFor="lm-tokens">Tokens</label>
            <input
              id="lm-tokens"
              name="tokens"
              type="text"
              placeholder="ids or words, comma-separated: 12, swim"
            />
          </div>
          <div className="row">
            <label htmlFor="lm-comparison">Against</label>
            <input
              id="lm-comparison"
              name="comparison"
              type="text"
              placeholder="optional: run, climb, walk (each token minus their mean)"
            />
          </div>
        </>
      ) : null}
      {directions === 'features' || directions === 'all-features' ? (
        <div className="row">
          <label htmlFor="lm-sae-out">Output SAE</label>
          <select id="lm-sae-out" name="saeOut">
            {outputSaes.map((sae) => (
              <option key={sae.id} value={sae.id}>
                {sae.name}
              </option>
            ))}
          </select>
          {directions === 'features' ? (
            <>
              <label htmlFor="lm-features">Features</label>
              <input id="lm-features" name="features" type="text" placeholder="0, 77, 191" />
            </>
          ) : null}
        </div>
      ) : null}
      {inputSaes.length > 0 ? (
        <div className="row">
          <label htmlFor="lm-sae-in">Over input features</label>
          <select id="lm-sae-in" name="saeIn" defaultValue="">
            <option value="">none (the residual stream)</option>
            {inputSaes.map((sae) => (
              <option key={sae.id} value={sae.id}>
                {sae.name} (DᵀQD)
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <ActionError state={state} />
      <div>
        <button type="submit" disabled={pending} data-testid="decompose-button">
          {pending ? 'Queueing…' : 'Decompose'}
        </button>
      </div>
    </form>
  );
}
