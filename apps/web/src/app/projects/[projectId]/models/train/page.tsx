import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { TrainForm } from '@/components/train-form';
import { platform, projectWithRole } from '@/lib/platform';
import { trainingOptions } from '@/lib/training-options';
import type { Dataset } from '@/lib/types';

export const metadata: Metadata = { title: 'Train a model' };

export default async function TrainPage({ params }: PageProps<'/projects/[projectId]/models/train'>) {
  const { projectId } = await params;
  const project = await projectWithRole(projectId);
  if (!project) notFound();
  const datasets = await platform.datasets(projectId).catch(() => [] as Dataset[]);
  return (
    <main className="page">
      <h1>Train a model</h1>
      {project.role === 'viewer' ? (
        <p className="error">Viewers cannot train models; ask an owner for the member role.</p>
      ) : (
        <TrainForm
          projectId={projectId}
          options={trainingOptions()}
          datasets={datasets.map(({ id, name }) => ({ id, name }))}
        />
      )}
    </main>
  );
}
