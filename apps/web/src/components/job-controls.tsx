'use client';

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { cancelJob, retryJob } from '@/app/actions';

/** Cancel (queued or running) and retry (failed or cancelled) for one job. */
export function JobControls({
  jobId,
  status,
  canWrite,
}: {
  jobId: string;
  status: string;
  canWrite: boolean;
}) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  if (!canWrite) return null;
  const run = (action: (id: string) => Promise<{ error?: string }>) =>
    start(async () => {
      const result = await action(jobId);
      setError(result.error ?? null);
      router.refresh();
    });
  return (
    <span className="row">
      {status === 'queued' || status === 'running' ? (
        <button
          type="button"
          className="danger"
          disabled={pending}
          onClick={() => run(cancelJob)}
          data-testid="cancel-job"
        >
          Cancel
        </button>
      ) : null}
      {status === 'failed' || status === 'cancelled' ? (
        <button
          type="button"
          className="secondary"
          disabled={pending}
          onClick={() => run(retryJob)}
          data-testid="retry-job"
        >
          Retry
        </button>
      ) : null}
      {error ? (
        <span className="error" role="alert">
          {error}
        </span>
      ) : null}
    </span>
  );
}
