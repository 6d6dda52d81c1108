import { eigenvectorRow } from '@bilinear-lab/contracts/eigenvector-block';
import { effectiveSupport } from '@bilinear-lab/core';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { EigenvectorDetail } from '@/components/eigenvector-detail';
import { number } from '@/lib/format';
import { loadDecomposition } from '@/lib/load-decomposition';
import { activationSummary } from '@/lib/server/activations';
import { serverEigenvectors } from '@/lib/server/eigenvectors';
import { mnist } from '@/lib/server/mnist';

export const metadata: Metadata = { title: 'Eigenvector' };

export default async function EigenvectorPage({
  params,
}: PageProps<'/projects/[projectId]/decompositions/[decompositionId]/eigenvectors/[output]/[vector]'>) {
  const { projectId, decompositionId, output: outputParam, vector: name } = await params;
  const { decomposition, model } = await loadDecomposition(projectId, decompositionId);
  const output = decomposition.outputs.find((candidate) => String(candidate.index) === outputParam);
  if (!output || decomposition.status !== 'completed') notFound();
  const block = await serverEigenvectors(decompositionId, output.index, decomposition.parameters.topK);
  const row = eigenvectorRow(block, name);
  if (row === null) notFound();
  const vector = block.vectors.subarray(row * block.dimension, (row + 1) * block.dimension);
  const eigenvalue = block.eigenvalues[row] ?? Number.NaN;
  const dataset = await mnist();
  const isImage = block.dimension === dataset.inputDim;
  const summary = isImage ? activationSummary(dataset, vector, eigenvalue) : null;
  const positive = row < block.positiveCount;
  const back = `/projects/${projectId}/decompositions/${decompositionId}?class=${output.index}`;

  return (
    <main className="page">
      <p>
        <Link href={back}>
          ← {model.name}, class {output.label}
        </Link>
      </p>
      <h1>
        Class {output.label}: {positive ? 'positive' : 'negative'} eigenvector {name}
      </h1>
      <dl className="facts" style={{ marginBottom: '1rem' }}>
        <dt>Eigenvalue λ</dt>
        <dd data-testid="eigenvalue">{number(eigenvalue, 6)}</dd>
        <dt>Effect</dt>
        <dd>{positive ? 'pushes the class logit up' : 'pushes the class logit down'} by λ (vᵀx)²</dd>
        <dt>Effective support</dt>
        <dd>{number(effectiveSupport(vector), 4)} pixels</dd>
        <dt>Mean vᵀx on the test set</dt>
        <dd>{summary ? number(summary.mean) : '—'}</dd>
      </dl>
      <EigenvectorDetail
        vector={Array.from(vector)}
        label={`class ${output.label} ${name}`}
        eigenvalue={eigenvalue}
        top={summary?.top ?? []}
        histogram={summary?.histogram ?? null}
      />
    </main>
  );
}
