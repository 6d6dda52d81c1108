import type { Metadata } from 'next';
import { ImportForm } from '@/components/import-form';

export const metadata: Metadata = { title: 'Import a model' };

export default async function ImportPage({ params }: PageProps<'/projects/[projectId]/models/import'>) {
  const { projectId } = await params;
  return (
    <main className="page narrow">
      <h1>Import a model</h1>
      <p>
        A <code>.safetensors</code> file in a reference layout: <code>embed.weight [d, 784]</code>,{' '}
        <code>blocks.0.weight [2d, d]</code>, <code>head.weight [classes, d]</code> (image classifier), or the
        language-model layout. The API checks names, shapes and dtypes and says what is wrong.
      </p>
      <ImportForm projectId={projectId} />
    </main>
  );
}
