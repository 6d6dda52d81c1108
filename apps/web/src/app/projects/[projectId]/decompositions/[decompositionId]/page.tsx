import { EXACTNESS_TOLERANCE } from '@bilinear-lab/core';
import type { Metadata } from 'next';
import Link from 'next/link';
import { DecompositionDownloads } from '@/components/decomposition-downloads';
import { DecompositionView, type OutputSpectrum } from '@/components/decomposition-view';
import { JobProgress } from '@/components/job-progress';
import { StatusBadge } from '@/components/status-badge';
import { loadDecomposition } from '@/lib/load-decomposition';
import { projectWithRole } from '@/lib/platform';

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
        <div className="panel">
          <JobProgress
            jobId={decomposition.jobId}
            status={decomposition.status}
            error={decomposition.error}
            canWrite={canWrite}
            what="decomposition"
          />
        </div>
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
