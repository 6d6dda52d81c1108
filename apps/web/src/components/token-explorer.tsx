import type { EigenvectorsView, ReadingView } from '@bilinear-lab/contracts';
import { eigenvectorName } from '@bilinear-lab/contracts/eigenvector-block';
import { EXACTNESS_TOLERANCE } from '@bilinear-lab/core';
import Link from 'next/link';
import { number } from '@/lib/format';
import { PlatformError, platform } from '@/lib/platform';
import type { Decomposition, Model } from '@/lib/types';
import { ActivationContexts } from './activation-contexts';
import { FeatureWeights } from './feature-weights';
import { NeighbourKeys } from './neighbour-keys';
import { SpectrumChart } from './spectrum-chart';
import { TextActivationsBox } from './text-activations';

const PAGE = 64;

export interface TokenExplorerQuery {
  /** The output (token id or feature id) shown. */
  output?: string;
  /** First output of the list, by position. */
  offset?: string;
  /** A token id, or text to look up with the model's tokenizer. */
  q?: string;
}

/**
 * A language model's decomposition as a token (or SAE feature) explorer: search by id or by text,
 * a page of outputs, and the chosen output's whole spectrum with its top eigenvectors read as the
 * tokens (W_E v) or input features they weigh most and least. Everything is fetched on the server:
 * the browser gets one page of outputs and one output's vectors, never the whole decomposition.
 */
export async function TokenExplorer({
  projectId,
  decomposition,
  model,
  query,
}: {
  projectId: string;
  decomposition: Decomposition;
  model: Model;
  query: TokenExplorerQuery;
}) {
  const features = decomposition.parameters.saeOut !== undefined;
  const what = features ? 'feature' : 'token';
  const base = `/projects/${projectId}/decompositions/${decomposition.id}`;
  const total = decomposition.page?.total ?? decomposition.outputs.length;
  const offset = Math.max(0, Math.min(wholeNumber(query.offset) ?? 0, Math.max(0, total - 1)));
  const list =
    decomposition.page === undefined || offset === decomposition.page.offset
      ? decomposition.outputs
      : (await platform.decompositionPage(decomposition.id, offset, PAGE)).outputs;

  const [search, saeFeatures] = await Promise.all([
    resolveSearch(model, query.q, features),
    decomposition.parameters.saeOut === undefined
      ? undefined
      : platform.sae(decomposition.parameters.saeOut).then((sae) => sae.features),
  ]);
  const chosen = wholeNumber(query.output) ?? search.ids[0] ?? list[0]?.index;
  const [selected, vectors] =
    chosen === undefined ? [undefined, null] : await selectedOutput(decomposition.id, chosen);
  // Every feature of the output SAE has a page — its weights are read without decomposing it — so
  // previous / next and search span the SAE; a decomposition of every token spans the vocabulary.
  const everything =
    decomposition.parameters.allTokens === true || decomposition.parameters.allFeatures === true;
  const span = saeFeatures ?? (everything ? total : undefined);
  const neighbours = neighboursOf(chosen, list, span);
  const link = (output: number) =>
    `${base}?output=${output}${offset > 0 ? `&offset=${offset}` : ''}${query.q ? `&q=${encodeURIComponent(query.q)}` : ''}`;

  return (
    <div className="token-explorer" data-testid="token-explorer">
      <search>
        <form className="row panel" action={base} method="get">
          <label htmlFor="explorer-search">Find a {what}</label>
          <input
            id="explorer-search"
            name="q"
            type="search"
            defaultValue={query.q ?? ''}
            placeholder={features ? 'feature id' : 'token id, or a word'}
          />
          <button type="submit">Find</button>
          {search.message ? <span className="muted">{search.message}</span> : null}
          {search.ids.length > 1 ? (
            <span className="row">
              {[...new Set(search.ids)].map((id) => (
                <Link key={id} href={link(id)} className="chip">
                  {search.tokens[search.ids.indexOf(id)] ?? id} · {id}
                </Link>
              ))}
            </span>
          ) : null}
        </form>
      </search>
      <div className="explorer-columns">
        <nav className="panel explorer-list" aria-label={`${what}s`}>
          <div className="spread">
            <strong>
              {what}s {offset + 1}–{offset + list.length} of {total}
            </strong>
            <span className="row">
              {offset > 0 ? (
                <Link href={`${base}?offset=${Math.max(0, offset - PAGE)}`} rel="prev">
                  ← previous
                </Link>
              ) : null}
              {offset + list.length < total ? (
                <Link href={`${base}?offset=${offset + PAGE}`} rel="next">
                  next →
                </Link>
              ) : null}
            </span>
          </div>
          <table>
            <thead>
              <tr>
                <th>{what}</th>
                <th title="(Σ|λ|)² / Σλ²">eff. rank</th>
              </tr>
            </thead>
            <tbody>
              {list.map((output) => (
                <tr key={output.index} aria-current={output.index === selected?.index ? 'true' : undefined}>
                  <td>
                    <Link href={link(output.index)}>{output.label}</Link>
                  </td>
                  <td>{number(output.effectiveRank, 3)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {decomposition.status === 'completed' ? (
            <p className="row muted">
              every spectrum:
              <a href={`/api/platform/decompositions/${decomposition.id}/spectra?format=npy`} download>
                npy ({total} × d)
              </a>
              <a href={`/api/platform/decompositions/${decomposition.id}/spectra?format=csv`} download>
                CSV
              </a>
            </p>
          ) : null}
        </nav>
        <section className="panel explorer-detail" aria-live="polite">
          {chosen !== undefined && (selected !== undefined || (span !== undefined && chosen < span)) ? (
            <div className="spread">
              <h2 data-testid="explorer-output">{selected?.label ?? `${what} ${chosen}`}</h2>
              <span className="row">
                {neighbours.previous !== undefined ? (
                  <Link
                    href={link(neighbours.previous)}
                    data-testid="previous-output"
                    aria-keyshortcuts="ArrowLeft"
                  >
                    ← {what} {neighbours.previous}
                  </Link>
                ) : null}
                {neighbours.next !== undefined ? (
                  <Link href={link(neighbours.next)} data-testid="next-output" aria-keyshortcuts="ArrowRight">
                    {what} {neighbours.next} →
                  </Link>
                ) : null}
                <NeighbourKeys
                  previous={neighbours.previous === undefined ? null : link(neighbours.previous)}
                  next={neighbours.next === undefined ? null : link(neighbours.next)}
                />
              </span>
            </div>
          ) : null}
          {selected === undefined ? (
            chosen !== undefined && features && span !== undefined && chosen < span ? (
              <>
                <p className="muted" data-testid="not-decomposed">
                  Feature {chosen} is not in this decomposition ({total} of the SAE's {span} features are);
                  what its weights say:
                </p>
                <FeatureWeights decomposition={decomposition} model={model} output={chosen} />
              </>
            ) : (
              <p className="empty">
                {span !== undefined && chosen !== undefined && chosen >= span
                  ? `No ${what} ${chosen}: the ${features ? 'SAE' : 'vocabulary'} has ${span} (0–${span - 1}).`
                  : `No ${what} ${chosen} in this decomposition.`}
              </p>
            )
          ) : (
            <>
              <p className="muted">
                {selected.eigenvalues.length} eigenvalues · effective rank {number(selected.effectiveRank, 3)}{' '}
                ·{' '}
                {selected.exactness === null
                  ? 'exactness not checked'
                  : `rebuilt from its eigenpairs to ${number(selected.exactness, 2)} of the model's own forward pass (${
                      selected.exactness <= EXACTNESS_TOLERANCE ? 'exact' : 'NOT exact'
                    })`}
              </p>
              <SpectrumChart
                eigenvalues={selected.eigenvalues}
                width={620}
                height={220}
                label={selected.label}
              />
              <FeatureWeights decomposition={decomposition} model={model} output={selected.index} />
              {vectors === null ? (
                <p className="muted">No eigenvectors stored for this output.</p>
              ) : (
                <EigenvectorReadings vectors={vectors} />
              )}
              {decomposition.parameters.saeIn === undefined && vectors !== null ? (
                <TextActivationsBox decompositionId={decomposition.id} output={selected.index} />
              ) : null}
              {decomposition.parameters.saeIn === undefined ? (
                <ActivationContexts decompositionId={decomposition.id} output={selected.index} />
              ) : null}
              <p className="row">
                <a
                  href={`/api/platform/decompositions/${decomposition.id}/outputs/${selected.index}/eigenvectors?space=model&format=json`}
                  download
                >
                  eigenvectors and readings (JSON)
                </a>
                <a
                  href={`/api/platform/decompositions/${decomposition.id}/outputs/${selected.index}/eigenvectors?space=model&format=npy`}
                  download
                >
                  eigenvectors (npy, d = {vectors?.dimension ?? '—'})
                </a>
              </p>
            </>
          )}
        </section>
      </div>
    </div>
  );
}

/** The top eigenvectors of one output, each read as the entries it weighs most and least. */
function EigenvectorReadings({ vectors }: { vectors: EigenvectorsView }) {
  const readings = vectors.readings ?? [];
  const space = readings[0]?.space === 'features' ? 'input features' : 'tokens (W_E v)';
  return (
    <div data-testid="explorer-eigenvectors">
      <h3>
        Top {vectors.positiveCount} positive and {vectors.negativeCount} negative eigenvectors, read as{' '}
        {space}
      </h3>
      <div className="reading-grid">
        {readings.map((reading, row) => (
          <ReadingCard
            key={eigenvectorName(vectors, row)}
            name={eigenvectorName(vectors, row)}
            eigenvalue={vectors.eigenvalues[row] as number}
            reading={reading}
          />
        ))}
      </div>
    </div>
  );
}

function ReadingCard({
  name,
  eigenvalue,
  reading,
}: {
  name: string;
  eigenvalue: number;
  reading: ReadingView;
}) {
  const scale = Math.max(
    ...reading.top.map((entry) => Math.abs(entry.value)),
    ...reading.bottom.map((entry) => Math.abs(entry.value)),
    Number.MIN_VALUE,
  );
  const entries = (list: ReadingView['top'], sign: 'pos' | 'neg') =>
    list.slice(0, 8).map((entry) => (
      <li
        key={entry.index}
        title={`${reading.space === 'tokens' ? 'token' : 'feature'} ${entry.index}: ${entry.value}`}
      >
        <span
          className={`reading-bar ${sign}`}
          style={{ width: `${(48 * Math.abs(entry.value)) / scale}px` }}
        />
        <span className="reading-token">{entry.token ?? `#${entry.index}`}</span>
        <span className="muted">{number(entry.value, 3)}</span>
      </li>
    ));
  return (
    <article className={`reading-card ${eigenvalue >= 0 ? 'positive' : 'negative'}`}>
      <header className="spread">
        <strong>{name}</strong>
        <span className="muted">λ = {number(eigenvalue, 4)}</span>
      </header>
      <ol className="reading-list" aria-label={`${name}: largest entries`}>
        {entries(reading.top, 'pos')}
      </ol>
      <ol className="reading-list" aria-label={`${name}: smallest entries`}>
        {entries(reading.bottom, 'neg')}
      </ol>
    </article>
  );
}

async function selectedOutput(decompositionId: string, output: number) {
  const [found, vectors] = await Promise.all([
    platform.decompositionOutputs(decompositionId, [output]),
    platform.eigenvectors(decompositionId, output, 'model').catch((error: unknown) => {
      if (error instanceof PlatformError && error.status === 404) return null;
      throw error;
    }),
  ]);
  return [found.outputs[0], vectors] as const;
}

/** A search as output ids: a number is one; text goes through the model's tokenizer, token by token. */
async function resolveSearch(model: Model, q: string | undefined, features: boolean) {
  const text = q?.trim() ?? '';
  if (text === '') return { ids: [] as number[], tokens: [] as string[], message: null };
  const id = wholeNumber(text);
  if (id !== undefined) return { ids: [id], tokens: [], message: null };
  if (features) return { ids: [], tokens: [], message: 'features are found by their id' };
  try {
    const encoded = await platform.tokenize(model.id, text);
    return {
      ids: encoded.ids,
      tokens: encoded.tokens,
      message:
        encoded.ids.length === 0
          ? `“${text}” is no token`
          : encoded.ids.length > 1
            ? `“${text}” is ${encoded.ids.length} tokens:`
            : null,
    };
  } catch (error) {
    if (error instanceof PlatformError && error.status === 422) {
      return { ids: [], tokens: [], message: 'this model has no tokenizer: search by token id' };
    }
    throw error;
  }
}

/**
 * The outputs before and after one: when every index 0 … span − 1 has a page (every token decomposed,
 * or an output SAE's features) the next index either way, else its neighbours on the page shown.
 */
function neighboursOf(
  index: number | undefined,
  list: Decomposition['outputs'],
  span: number | undefined,
): { previous?: number; next?: number } {
  if (index === undefined) return {};
  let previous: number | undefined;
  let next: number | undefined;
  if (span !== undefined) {
    if (index > 0 && index - 1 < span) previous = index - 1;
    if (index + 1 < span) next = index + 1;
  } else {
    const position = list.findIndex((output) => output.index === index);
    if (position > 0) previous = list[position - 1]?.index;
    if (position >= 0 && position + 1 < list.length) next = list[position + 1]?.index;
  }
  return { ...(previous === undefined ? {} : { previous }), ...(next === undefined ? {} : { next }) };
}

function wholeNumber(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}
