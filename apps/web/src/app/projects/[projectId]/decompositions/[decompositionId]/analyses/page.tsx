import type { Metadata } from 'next';
import Link from 'next/link';
import { type AdversarialAnalysis, AdversarialView } from '@/components/adversarial-view';
import {
  type HosvdAnalysis,
  HosvdView,
  type TruncationAnalysis,
  TruncationView,
} from '@/components/analyses-view';
import { loadDecomposition } from '@/lib/load-decomposition';

export const metadata: Metadata = { title: 'Analyses' };

type Skipped = { skipped: string };

function skippedReason(value: unknown): string | null {
  return value && typeof value === 'object' && 'skipped' in value ? String((value as Skipped).skipped) : null;
}

export default async function AnalysesPage({
  params,
}: PageProps<'/projects/[projectId]/decompositions/[decompositionId]/analyses'>) {
  const { projectId, decompositionId } = await params;
  const { decomposition, model } = await loadDecomposition(projectId, decompositionId);
  const { truncation, hosvd, adversarial } = decomposition.analyses as Record<string, unknown>;
  const truncationSkipped = skippedReason(truncation);
  const hosvdSkipped = skippedReason(hosvd);
  const adversarialSkipped = skippedReason(adversarial);
  const labels = decomposition.outputs.map((output) => output.label);
  return (
    <main className="page">
      <p>
        <Link href={`/projects/${projectId}/decompositions/${decompositionId}`}>
          ← Decomposition of {model.name}
        </Link>
      </p>
      <h1>Analyses</h1>
      {decomposition.status !== 'completed' ? (
        <div className="empty">
          The decomposition is {decomposition.status}; analyses appear when it completes.
        </div>
      ) : (
        <>
          <section className="panel" aria-labelledby="truncation-heading">
            <h2 id="truncation-heading" style={{ marginTop: 0 }}>
              Truncation: accuracy with only the top-k eigenpairs per class
            </h2>
            {truncation && !truncationSkipped ? (
              <TruncationView analysis={truncation as TruncationAnalysis} />
            ) : (
              <p className="muted">{truncationSkipped ?? 'Not computed for this decomposition.'}</p>
            )}
          </section>
          <section className="panel" style={{ marginTop: '1rem' }} aria-labelledby="hosvd-heading">
            <h2 id="hosvd-heading" style={{ marginTop: 0 }}>
              HOSVD across classes
            </h2>
            {hosvd && !hosvdSkipped ? (
              <HosvdView analysis={hosvd as HosvdAnalysis} labels={labels} />
            ) : (
              <p className="muted">
                {hosvdSkipped ??
                  'Not requested: decompose again with "Also compute the HOSVD" ticked on the model page.'}
              </p>
            )}
          </section>
          <section className="panel" style={{ marginTop: '1rem' }} aria-labelledby="adversarial-heading">
            <h2 id="adversarial-heading" style={{ marginTop: 0 }}>
              Adversarial masks
            </h2>
            {adversarial && !adversarialSkipped ? (
              <AdversarialView analysis={adversarial as AdversarialAnalysis} labels={labels} />
            ) : (
              <p className="muted">
                {adversarialSkipped ??
                  'Not computed: decompose again with "Adversarial masks" ticked on the model page.'}
              </p>
            )}
          </section>
        </>
      )}
    </main>
  );
}
