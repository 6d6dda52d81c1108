import { eigenvectorSimilarity } from '@bilinear-lab/core';
import type { Metadata } from 'next';
import { type ComparedModel, CompareView } from '@/components/compare-view';
import { percent } from '@/lib/format';
import { platform } from '@/lib/platform';
import { serverEigenvectors } from '@/lib/server/eigenvectors';
import type { Decomposition, Model } from '@/lib/types';

export const metadata: Metadata = { title: 'Compare' };

const SIMILARITY_K = 16;
const CONFIG_KEYS = ['hiddenDim', 'seed', 'weightDecay', 'inputNoise', 'epochs', 'gate'];

/** The newest completed decomposition of a model, with its spectra, or null. */
async function latestDecomposition(modelId: string): Promise<Decomposition | null> {
  const list = await platform.modelDecompositions(modelId).catch(() => []);
  const completed = list
    .filter((item) => item.status === 'completed')
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  return completed[0] ? platform.decomposition(completed[0].id) : null;
}

/** |cos| of each of the reference's top positive eigenvectors with its best match in the other run, per class. */
async function similarityByClass(reference: Decomposition, other: Decomposition, classes: number[]) {
  const k = Math.min(SIMILARITY_K, reference.parameters.topK, other.parameters.topK);
  const result: Record<number, number[]> = {};
  await Promise.all(
    classes.map(async (output) => {
      const [a, b] = await Promise.all([
        serverEigenvectors(reference.id, output, k, 'input'),
        serverEigenvectors(other.id, output, k, 'input'),
      ]);
      if (a.dimension !== b.dimension) return;
      const positives = (block: typeof a) =>
        Float64Array.from(block.vectors.subarray(0, block.positiveCount * block.dimension));
      const left = positives(a);
      const right = positives(b);
      if (left.length === 0 || right.length === 0) return;
      result[output] = Array.from(eigenvectorSimilarity(left, right, a.dimension).matchedCosine);
    }),
  );
  return result;
}

export default async function ComparePage({
  params,
  searchParams,
}: PageProps<'/projects/[projectId]/compare'>) {
  const { projectId } = await params;
  const query = await searchParams;
  const chosen = (
    Array.isArray(query.models) ? query.models : query.models ? query.models.split(',') : []
  ).filter(Boolean);
  const models = (await platform.models(projectId)).filter((model) => model.status === 'completed');
  const selected = chosen
    .map((id) => models.find((model) => model.id === id))
    .filter((model): model is Model => Boolean(model));

  let compared: ComparedModel[] = [];
  let similarity: Record<string, Record<number, number[]>> = {};
  let problem: string | null = null;
  if (selected.length >= 2) {
    const decompositions = await Promise.all(selected.map((model) => latestDecomposition(model.id)));
    const missing = selected.filter((_, i) => !decompositions[i]).map((model) => model.name);
    if (missing.length > 0) problem = `Decompose these first: ${missing.join(', ')}.`;
    compared = selected.flatMap((model, i) => {
      const decomposition = decompositions[i];
      if (!decomposition) return [];
      return [
        {
          id: model.id,
          name: model.name,
          testAccuracy: model.metrics?.testAccuracy ?? null,
          config: Object.fromEntries(
            CONFIG_KEYS.map((key) => [key, (model.config as Record<string, unknown>)[key] ?? null]),
          ),
          decompositionId: decomposition.id,
          spectra: Object.fromEntries(
            decomposition.outputs.map((output) => [
              output.index,
              {
                label: output.label,
                eigenvalues: output.eigenvalues,
                effectiveRank: output.effectiveRank,
              },
            ]),
          ),
        },
      ];
    });
    const [reference, ...others] = decompositions.filter((item): item is Decomposition => Boolean(item));
    if (reference) {
      const classes = reference.outputs.map((output) => output.index);
      const pairs = await Promise.all(
        others.map(async (other) => [other.id, await similarityByClass(reference, other, classes)] as const),
      );
      similarity = Object.fromEntries(pairs);
    }
  }

  return (
    <main className="page">
      <h1>Compare runs</h1>
      <form method="get" className="panel" aria-label="Choose models to compare">
        <fieldset style={{ border: 'none', padding: 0, margin: 0 }}>
          <legend className="muted">
            Completed models (pick two or more; the first picked is the reference)
          </legend>
          {models.length === 0 ? (
            <p className="muted">No completed models in this project yet.</p>
          ) : (
            <div className="row" style={{ marginTop: '0.5rem' }}>
              {models.map((model) => (
                <label key={model.id} className="row" style={{ gap: '0.3rem' }}>
                  <input
                    type="checkbox"
                    name="models"
                    value={model.id}
                    defaultChecked={chosen.includes(model.id)}
                  />
                  {model.name} <span className="muted">({percent(model.metrics?.testAccuracy)})</span>
                </label>
              ))}
            </div>
          )}
        </fieldset>
        <button type="submit" style={{ marginTop: '0.5rem' }}>
          Compare
        </button>
      </form>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {compared.length >= 2 ? (
        <CompareView models={compared} similarity={similarity} />
      ) : selected.length < 2 ? (
        <div className="empty" style={{ marginTop: '1rem' }}>
          Pick at least two models: their spectra are overlaid, their top eigenvectors matched by cosine
          similarity.
        </div>
      ) : null}
    </main>
  );
}
