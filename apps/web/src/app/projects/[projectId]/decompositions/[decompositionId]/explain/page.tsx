import type { Metadata } from 'next';
import Link from 'next/link';
import { ExplainView } from '@/components/explain-view';
import { loadDecomposition } from '@/lib/load-decomposition';

export const metadata: Metadata = { title: 'Explain an input' };

export default async function ExplainPage({
  params,
}: PageProps<'/projects/[projectId]/decompositions/[decompositionId]/explain'>) {
  const { projectId, decompositionId } = await params;
  const { decomposition, model } = await loadDecomposition(projectId, decompositionId);
  return (
    <main className="page">
      <p>
        <Link href={`/projects/${projectId}/decompositions/${decompositionId}`}>
          ← Decomposition of {model.name}
        </Link>
      </p>
      <h1>Explain an input</h1>
      <p className="muted">
        Each logit is a sum over eigenvectors: logit = Σ λ (vᵀx)². Pick a test image or draw a digit; the
        largest terms of the stored top-{decomposition.parameters.topK} eigenpairs per sign are listed, the
        rest is shown as the remainder.
      </p>
      {decomposition.status === 'completed' ? (
        <ExplainView
          projectId={projectId}
          decompositionId={decompositionId}
          topK={decomposition.parameters.topK}
        />
      ) : (
        <div className="empty">
          The decomposition is {decomposition.status}; explanations need a completed one.
        </div>
      )}
    </main>
  );
}
