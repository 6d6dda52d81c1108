import { Suspense } from 'react';
import { cssColour } from '@/lib/colour-scale';
import { number } from '@/lib/format';
import { featureWeights, type TokenWeight } from '@/lib/server/feature-weights';
import { requireSessionKey } from '@/lib/session';
import type { Decomposition, Model } from '@/lib/types';

/**
 * The panels of a token's or feature's page that read the weights themselves — its logit effect and,
 * over an input SAE, the strongest DᵀQD interactions between named input features. They need the
 * parsed checkpoints on the server, so they stream in after the rest of the page is interactive.
 */
export function FeatureWeights(props: { decomposition: Decomposition; model: Model; output: number }) {
  return (
    <Suspense
      fallback={
        // About the panels' height, so that the readings below do not jump when they arrive.
        <p
          className="muted"
          data-testid="feature-weights-pending"
          style={{ minHeight: props.decomposition.parameters.saeIn ? '44rem' : '19rem' }}
        >
          Reading the weights (logit effect{props.decomposition.parameters.saeIn ? ', DᵀQD' : ''})…
        </p>
      }
    >
      <FeatureWeightsPanels {...props} />
    </Suspense>
  );
}

async function FeatureWeightsPanels({
  decomposition,
  model,
  output,
}: {
  decomposition: Decomposition;
  model: Model;
  output: number;
}) {
  const key = await requireSessionKey();
  const view = await featureWeights(key, decomposition, model, output).catch(
    (error: unknown) => error as Error,
  );
  if (view instanceof Error) {
    return (
      <p className="error" role="alert">
        The weights could not be read: {view.message}
      </p>
    );
  }
  const feature = view.logits.source === 'decoder';
  return (
    <div className="feature-weights" data-testid="feature-weights">
      <section aria-labelledby="logit-effect" data-testid="logit-effect">
        <h3 id="logit-effect">
          {feature
            ? 'Logit effect: what the feature writes (W_U w_dec[:, f])'
            : 'Tokens read along this direction (W_U u)'}
        </h3>
        <p className="muted">
          {feature
            ? "The tokens whose logits the feature's decoder direction raises and lowers most, per unit of activation."
            : 'A token direction is read out, not written: these are the tokens whose logits move with it — the token itself and its look-alikes, or a contrast’s two sides.'}
        </p>
        <div className="logit-columns">
          <TokenList label="raised most" entries={view.logits.top} sign="pos" />
          <TokenList label="lowered most" entries={view.logits.bottom} sign="neg" />
        </div>
      </section>
      {view.interactions === null ? null : <InteractionHeatmap interactions={view.interactions} />}
    </div>
  );
}

function TokenList({ label, entries, sign }: { label: string; entries: TokenWeight[]; sign: 'pos' | 'neg' }) {
  const scale = Math.max(...entries.map((entry) => Math.abs(entry.value)), Number.MIN_VALUE);
  return (
    <div>
      <strong>{label}</strong>
      <ol className="reading-list" aria-label={`tokens ${label}`}>
        {entries.map((entry) => (
          <li key={entry.index} title={`token ${entry.index}: ${entry.value}`}>
            <span
              className={`reading-bar ${sign}`}
              style={{ width: `${(48 * Math.abs(entry.value)) / scale}px` }}
            />
            <span className="reading-token">{entry.token ?? `#${entry.index}`}</span>
            <span className="muted">{number(entry.value, 3)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

function featureName(feature: { index: number; tokens: TokenWeight[] }): string {
  const tokens = feature.tokens.map((token) => token.token ?? `#${token.index}`);
  return tokens.length > 0 ? `f${feature.index} · ${tokens.join(' ')}` : `f${feature.index}`;
}

/** The block of DᵀQD on the input features with its largest rows, as a table coloured ±max|entry|. */
function InteractionHeatmap({
  interactions,
}: {
  interactions: NonNullable<Awaited<ReturnType<typeof featureWeights>>['interactions']>;
}) {
  const { features, values, frobenius } = interactions;
  const n = features.length;
  const limit = Math.max(...values.map(Math.abs), Number.MIN_VALUE);
  const carried = Math.hypot(...features.map((feature) => feature.rowNorm)) / (frobenius || 1);
  return (
    <section aria-labelledby="dtqd-heatmap" data-testid="dtqd-heatmap">
      <h3 id="dtqd-heatmap">Strongest interactions between input features (DᵀQD)</h3>
      <p className="muted">
        The {n} input-SAE features with the largest rows of DᵀQD, named by the tokens their decoder directions
        raise most (W_U D_f); their rows carry {number(100 * carried, 3)} % of ‖DᵀQD‖_F. Red: the pair raises
        this output together, blue: lowers it; scale ±{number(limit, 3)}.
      </p>
      <div className="heatmap-table-scroll">
        <table className="heatmap-table">
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">input feature</span>
              </th>
              {features.map((feature) => (
                <th key={feature.index} scope="col" title={featureName(feature)}>
                  f{feature.index}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {features.map((row, a) => (
              <tr key={row.index}>
                <th scope="row" className="reading-token">
                  {featureName(row)}
                </th>
                {features.map((column, b) => {
                  const value = values[a * n + b] as number;
                  return (
                    <td
                      key={column.index}
                      data-value={value}
                      title={`f${row.index} × f${column.index}: ${value}`}
                      style={{ background: cssColour(value, limit) }}
                    >
                      <span className="visually-hidden">{number(value, 3)}</span>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
