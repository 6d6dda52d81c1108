import { eigenvectorRow } from '@bilinear-lab/contracts/eigenvector-block';
import { activationSummary, effectiveSupport } from '@bilinear-lab/core';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { EigenvectorDetail } from '@/components/eigenvector-detail';
import { number } from '@/lib/format';
import { loadDecomposition } from '@/lib/load-decomposition';
import { classHistogram } from '@/lib/server/class-histogram';
import { serverEigenvectors } from '@/lib/server/eigenvectors';
import { bundledTestSet } from '@/lib/server/mnist';

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
  // Input-space vectors read the model's test images, when they are the bundled digits.
  const testSet = await bundledTestSet(model);
  const dataset =
    'dataset' in testSet && block.dimension === testSet.dataset.inputDim ? testSet.dataset : null;
  const activations = dataset
    ? activationSummary(dataset.test.inputs, dataset.test.count, dataset.test.labels, vector, eigenvalue)
    : null;
  const summary =
    activations && dataset
      ? {
          ...activations,
          top: activations.top.map((image) => ({
            ...image,
            // Three decimals are all the bundled digits carry.
            pixels: Array.from(
              dataset.test.inputs.subarray(
                image.index * dataset.inputDim,
                (image.index + 1) * dataset.inputDim,
              ),
              (value) => Math.round(value * 1000) / 1000,
            ),
          })),
        }
      : null;
  const byClass =
    dataset?.test.labels && dataset
      ? classHistogram(dataset.test.inputs, dataset.test.count, dataset.test.labels, vector, output.index)
      : null;
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
        byClass={byClass ? { ...byClass, label: output.label } : null}
      />
    </main>
  );
}
