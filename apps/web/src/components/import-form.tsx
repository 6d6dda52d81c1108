'use client';

import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';

export function ImportForm({ projectId }: { projectId: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) {
      setError('Choose a .safetensors file.');
      return;
    }
    if (!file.name.endsWith('.safetensors')) {
      setError(`"${file.name}" does not end in .safetensors.`);
      return;
    }
    const name = String(form.get('name') ?? '').trim();
    const residual = form.get('residual') === 'on';
    // Fields before the file: the API reads the multipart stream in order.
    const upload = new FormData();
    if (name) upload.set('name', name);
    if (residual) upload.set('residual', 'true');
    upload.set('file', file);
    setPending(true);
    setError(null);
    try {
      const response = await fetch(`/api/projects/${projectId}/models/import`, {
        method: 'POST',
        body: upload,
      });
      const body = (await response.json().catch(() => null)) as {
        modelId?: string;
        error?: { message?: string; details?: unknown };
      } | null;
      if (!response.ok || !body?.modelId) {
        setError(body?.error?.message ?? `The upload failed (${response.status}).`);
        return;
      }
      router.push(`/projects/${projectId}/models/${body.modelId}`);
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} className="stack">
      <label htmlFor="import-file">Checkpoint file</label>
      <input id="import-file" name="file" type="file" accept=".safetensors" required />
      <label htmlFor="import-name">Name (optional)</label>
      <input id="import-name" name="name" type="text" maxLength={200} />
      <label className="row">
        <input name="residual" type="checkbox" /> Residual blocks (the weights cannot tell)
      </label>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <div>
        <button type="submit" disabled={pending}>
          {pending ? 'Uploading…' : 'Import'}
        </button>
      </div>
    </form>
  );
}
