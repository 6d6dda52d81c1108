'use client';

import type { SparseAutoencoderView } from '@bilinear-lab/contracts';
import { useActionState } from 'react';
import type { ActionState } from '@/app/actions';
import { evaluate, trainSae } from '@/app/sae-actions';
import { AutoRefresh } from '@/components/auto-refresh';
import { StatusBadge } from '@/components/status-badge';
import { number } from '@/lib/format';

const HOOK_POINTS = ['mlp-out', 'mlp-in', 'resid-pre', 'resid-mid', 'resid-post'] as const;

type Metrics = Record<string, unknown> | null;
const figure = (metrics: Metrics, name: string): number | undefined => {
  const value = metrics?.[name];
  return typeof value === 'number' ? value : undefined;
};

/**
 * A language model's SAEs (status and measures), its own held-out loss, and the forms that start the
 * jobs behind them: train an SAE, measure an SAE or the model on a corpus. While a job runs the page
 * refreshes itself.
 */
export function LanguageModelSaes({
  modelId,
  layers,
  saes,
  evaluation,
  canWrite,
}: {
  modelId: string;
  layers: number;
  saes: SparseAutoencoderView[];
  evaluation: Metrics;
  canWrite: boolean;
}) {
  const running = saes.some((sae) => sae.status === 'queued' || sae.status === 'running');
  return (
    <section className="panel" aria-labelledby="model-saes" data-testid="language-model-saes">
      <div className="spread">
        <h2 id="model-saes" style={{ marginTop: 0 }}>
          Sparse autoencoders
        </h2>
        {running ? <AutoRefresh everyMs={2000} /> : null}
      </div>
      {saes.length === 0 ? (
        <p className="muted">None yet: import one (official layout) or train one below.</p>
      ) : (
        <div style={{ overflowX: 'auto' }}>
          <table data-testid="sae-table">
            <caption className="muted">
              MSE and explained variance at the hook point; loss recovered with the reconstruction spliced in.
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Layer</th>
                <th scope="col">Hook point</th>
                <th scope="col">Features</th>
                <th scope="col">k</th>
                <th scope="col">Status</th>
                <th scope="col">MSE</th>
                <th scope="col">Explained variance</th>
                <th scope="col">Loss recovered</th>
                <th scope="col">Measured on</th>
                {canWrite ? <th scope="col">Evaluate</th> : null}
              </tr>
            </thead>
            <tbody>
              {saes.map((sae) => (
                <tr key={sae.id} data-testid={`sae-${sae.id}`}>
                  <td>
                    {sae.name} <span className="muted">({sae.source})</span>
                  </td>
                  <td>{sae.layer}</td>
                  <td>{sae.hookPoint}</td>
                  <td>{sae.features}</td>
                  <td>{sae.k ?? '—'}</td>
                  <td>
                    <StatusBadge status={sae.status} />
                  </td>
                  <td data-testid="sae-mse">{number(figure(sae.metrics, 'mse'))}</td>
                  <td>{number(figure(sae.metrics, 'explainedVariance'))}</td>
                  <td data-testid="sae-loss-recovered">{number(figure(sae.metrics, 'lossRecovered'))}</td>
                  <td>
                    {typeof sae.metrics?.dataset === 'string'
                      ? `${sae.metrics.dataset}, ${figure(sae.metrics, 'tokens') ?? '?'} positions`
                      : '—'}
                  </td>
                  {canWrite ? (
                    <td>
                      {sae.status === 'completed' ? (
                        <EvaluateForm modelId={modelId} saeId={sae.id} label={`Evaluate ${sae.name}`} />
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>The model on a corpus</h3>
      <p data-testid="model-evaluation">
        {evaluation && typeof evaluation.loss === 'number'
          ? `Held-out loss ${number(evaluation.loss)} nats (perplexity ${number(figure(evaluation, 'perplexity'), 3)}) over ${figure(evaluation, 'tokens') ?? '?'} predicted tokens of ${String(evaluation.dataset)}.`
          : 'Not measured yet.'}
      </p>
      {canWrite ? <EvaluateForm modelId={modelId} saeId={null} label="Evaluate the model" /> : null}
      {canWrite ? <TrainSaeForm modelId={modelId} layers={layers} /> : null}
    </section>
  );
}

function EvaluateForm({ modelId, saeId, label }: { modelId: string; saeId: string | null; label: string }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(
    evaluate.bind(null, modelId, saeId),
    {},
  );
  const id = saeId ?? 'model';
  return (
    <form action={action} className="row" aria-label={label}>
      <label htmlFor={`evaluate-dataset-${id}`} className="visually-hidden">
        Corpus
      </label>
      <input id={`evaluate-dataset-${id}`} name="dataset" defaultValue="stories:200" size={14} />
      <label htmlFor={`evaluate-tokens-${id}`} className="visually-hidden">
        Tokens at most
      </label>
      <input id={`evaluate-tokens-${id}`} name="maxTokens" type="number" min={2} defaultValue={20000} />
      <button type="submit" disabled={pending} data-testid={`evaluate-${id}`}>
        {pending ? 'Queueing…' : saeId === null ? 'Evaluate the model' : 'Evaluate'}
      </button>
      {state.ok ? <span className="muted">queued</span> : null}
      {state.error ? (
        <span className="error" role="alert">
          {state.error}
        </span>
      ) : null}
    </form>
  );
}

function TrainSaeForm({ modelId, layers }: { modelId: string; layers: number }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(trainSae.bind(null, modelId), {});
  const field = (name: string, label: string, props: React.InputHTMLAttributes<HTMLInputElement>) => (
    <div className="field">
      <label htmlFor={`sae-${name}`}>{label}</label>
      <input id={`sae-${name}`} name={name} {...props} />
    </div>
  );
  return (
    <details>
      <summary>Train an SAE</summary>
      <form action={action} className="stack" data-testid="train-sae-form">
        <p className="muted">
          A TopK SAE by the reference procedure on the model's activations over the corpus; the end of the
          text is held out to measure it. Empty fields take the CLI's defaults.
        </p>
        <div className="form-grid">
          {field('name', 'Name (optional)', { type: 'text', maxLength: 200 })}
          <div className="field">
            <label htmlFor="sae-layer">Layer</label>
            <select id="sae-layer" name="layer" defaultValue={String(Math.max(0, layers - 1))}>
              {Array.from({ length: layers }, (_, i) => `${i}`).map((layer) => (
                <option key={layer} value={layer}>
                  {layer}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="sae-point">Hook point</label>
            <select id="sae-point" name="point" defaultValue="mlp-out">
              {HOOK_POINTS.map((point) => (
                <option key={point} value={point}>
                  {point}
                </option>
              ))}
            </select>
          </div>
          {field('expansion', 'Expansion (features = expansion × d_model)', {
            type: 'number',
            min: 1,
            defaultValue: 4,
            required: true,
          })}
          {field('k', 'k (active features)', { type: 'number', min: 1, defaultValue: 30, required: true })}
          {field('dataset', 'Corpus', { type: 'text', defaultValue: 'stories' })}
          {field('maxTokens', 'Tokens read at most', { type: 'number', min: 2, placeholder: '1000000' })}
          {field('steps', 'Steps', { type: 'number', min: 1, placeholder: 'one pass' })}
          {field('batchSize', 'Batch', { type: 'number', min: 1, placeholder: '4096' })}
          {field('learningRate', 'Learning rate', {
            type: 'number',
            step: 'any',
            min: 0,
            placeholder: '1e-4',
          })}
          {field('seed', 'Seed', { type: 'number', min: 0, placeholder: '0' })}
          {field('evalTokens', 'Held-out positions', { type: 'number', min: 2, placeholder: '4096' })}
        </div>
        {state.error ? (
          <p className="error" role="alert">
            {state.error}
          </p>
        ) : null}
        {state.ok ? <p className="muted">Queued: the table shows its progress.</p> : null}
        <div>
          <button type="submit" disabled={pending} data-testid="start-sae-training">
            {pending ? 'Queueing…' : 'Train the SAE'}
          </button>
        </div>
      </form>
    </details>
  );
}
