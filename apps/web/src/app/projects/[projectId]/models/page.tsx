import type { Metadata } from 'next';
import Link from 'next/link';
import { ModelsTable } from '@/components/models-table';
import { platform, projectWithRole } from '@/lib/platform';

export const metadata: Metadata = { title: 'Models' };

export default async function ModelsPage({ params }: PageProps<'/projects/[projectId]/models'>) {
  const { projectId } = await params;
  const [project, models] = await Promise.all([projectWithRole(projectId), platform.models(projectId)]);
  const canWrite = project?.role === 'owner' || project?.role === 'member';
  return (
    <main className="page">
      <div className="spread">
        <h1>Models</h1>
        {canWrite ? (
          <div className="row">
            <Link className="button" href={`/projects/${projectId}/models/train`} data-testid="train-button">
              Train
            </Link>
            <Link className="button secondary" href={`/projects/${projectId}/models/import`}>
              Import
            </Link>
          </div>
        ) : (
          <span className="muted">Viewers can read models; training and imports need the member role.</span>
        )}
      </div>
      <ModelsTable projectId={projectId} models={models} />
    </main>
  );
}
