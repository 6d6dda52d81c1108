import { EXACTNESS_TOLERANCE } from '@bilinear-lab/core';
import type { Metadata } from 'next';
import Link from 'next/link';
import { DecompositionDownloads } from '@/components/decomposition-downloads';
import { DecompositionView, type OutputSpectrum } from '@/components/decomposition-view';
import { JobProgress } from '@/components/job-progress';
import { StatusBadge } from '@/components/status-badge';
import { TokenExplorer, type TokenExplorerQuery } from '@/components/token-explorer';
import { loadDecomposition } from '@/lib/load-decomposition';
import { projectWithRole } from '@/lib/platform';
import type { Decomposition, Model } from '@/lib/types';

export const metadata: Metadata = { title: 'Decomposition' };

export default async function DecompositionPage({
  params,
  searchParams,
}: PageProps<'/projects/[projectId]/decompositions/[decompositionId]'>) {
  const { projectId, decompositionId } = await params;
  const query = await searchParams;
  const [{ decomposition, model }, project] = await Promise.all([
    loadDecomposition(projectId, decompositionId),
    projectWithRole(projectId),
  ]);
  const canWrite = project?.role === 'owner' || project?.role === 'member';
  if ((model.config as { kind?: unknown }).kind === 'language-model') {
    return (
      <LanguageModelDecompositionPage
        projectId={projectId}
        decomposition={decomposition}
        model={model}
        canWrite={canWrite}
        query={{
          ...(typeof query.output === 'string' ? { output: query.output } : {}),
          ...(typeof query.offset === 'string' ? { offset: query.offset } : {}),
          ...(typeof query.q === 'string' ? { q: query.q } : {}),
        }}
      />
    );
  }
  // Only what the view draws travels to the browser; eigenvalues stay most positive first.
  const outputs: OutputSpectrum[] = decomposition.outputs.map((output) => ({
    index: output.index,
    label: output.label,
    eigenvalues: output.eigenvalues,
    effectiveRank: output.effectiveRank,
    exactness: output.exactness,
    exact: output.exactness === null || output.exactness <= EXACTNESS_TOLERANCE,
    linearNorm: output.linear_model === null ? null : Math.hypot(...output.linear_model),
  }));
  const requested = Number(query.class);
  const initialClass = outputs.some((output) => output.index === requested)
    ? requested
    : (outputs[0]?.index ?? 0);

  return (
    <main className="page">
      <div className="spread">
        <h1>
          Decomposition of <Link href={`/projects/${projectId}/models/${model.id}`}>{model.name}</Link>{' '}
          <StatusBadge status={decomposition.status} />
        </h1>
        <span className="muted">
          top-{decomposition.parameters.topK} per sign · truncation k{' '}
          {decomposition.parameters.truncationK.join(', ')}
          {decomposition.parameters.hosvd ? ' · HOSVD' : ''}
          {decomposition.parameters.adversarial ? ' · adversarial masks' : ''}
        </span>
      </div>
      {decomposition.status === 'completed' ? (
        outputs.length === 0 ? (
          <div className="empty">This decomposition has no outputs.</div>
        ) : (
          <DecompositionView
            projectId={projectId}
            decompositionId={decompositionId}
            topK={decomposition.parameters.topK}
            outputs={outputs}
            initialClass={initialClass}
          />
        )
      ) : (
        <DecompositionProgress decomposition={decomposition} canWrite={canWrite} />
      )}
      {decomposition.status === 'completed' && outputs.length > 0 ? (
        <DecompositionDownloads
          decompositionId={decompositionId}
          outputs={outputs}
          hasTruncation={truncationComputed(decomposition.analyses.truncation)}
        />
      ) : null}
    </main>
  );
}

function truncationComputed(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'accuracy' in value;
}

/** A language model's decomposition: what it decomposed, then the token (or feature) explorer. */
function LanguageModelDecompositionPage({
  projectId,
  decomposition,
  model,
  canWrite,
  query,
}: {
  projectId: string;
  decomposition: Decomposition;
  model: Model;
  canWrite: boolean;
  query: TokenExplorerQuery;
}) {
  const parameters = decomposition.parameters;
  const directions = parameters.saeOut
    ? `SAE features${parameters.saeIn ? ' over input-SAE features (DᵀQD)' : ''}`
    : parameters.comparison
      ? `tokens against ${parameters.comparison.length} comparison tokens`
      : parameters.allTokens
        ? 'every token'
        : 'tokens';
  return (
    <main className="page">
      <div className="spread">
        <h1>
          Decomposition of <Link href={`/projects/${projectId}/models/${model.id}`}>{model.name}</Link>{' '}
          <StatusBadge status={decomposition.status} />
        </h1>
        <span className="muted">
          layer {parameters.layer ?? 0} · {directions} · top-{parameters.topK} per sign
        </span>
      </div>
      {decomposition.status === 'completed' ? (
        <TokenExplorer projectId={projectId} decomposition={decomposition} model={model} query={query} />
      ) : (
        <DecompositionProgress decomposition={decomposition} canWrite={canWrite} />
      )}
    </main>
  );
}

/** A decomposition still queued or running (or failed): its job's live progress and controls. */
function DecompositionProgress({
  decomposition,
  canWrite,
}: {
  decomposition: Decomposition;
  canWrite: boolean;
}) {
  return (
    <div className="panel">
      <JobProgress
        jobId={decomposition.jobId}
        status={decomposition.status}
        error={decomposition.error}
        canWrite={canWrite}
        what="decomposition"
      />
    </div>
  );
}
