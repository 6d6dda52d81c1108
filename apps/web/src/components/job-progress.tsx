'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useJobEvents } from '@/lib/job-events';
import { JobControls } from './job-controls';
import { StatusBadge } from './status-badge';

/** A queued or running job's live status and progress; reloads the page when it finishes. */
export function JobProgress({
  jobId,
  status: initialStatus,
  error: initialError,
  canWrite,
  what,
}: {
  jobId: string | null;
  status: string;
  error: string | null;
  canWrite: boolean;
  what: string;
}) {
  const router = useRouter();
  const [status, setStatus] = useState(initialStatus);
  const [progress, setProgress] = useState(0);
  const [message, setMessage] = useState('');
  const [error, setError] = useState(initialError);
  useJobEvents(jobId, initialStatus === 'queued' || initialStatus === 'running', (event) => {
    if (event.type === 'progress') {
      setProgress(event.progress);
      if (event.message) setMessage(event.message);
    } else if (event.type === 'state') {
      setStatus(event.status);
      if (event.error) setError(event.error);
      if (event.status !== 'queued' && event.status !== 'running') router.refresh();
    }
  });
  return (
    <div className="stack" aria-live="polite">
      <div className="row">
        <StatusBadge status={status} />
        <div
          className="progress"
          role="progressbar"
          aria-label={`${what} progress`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(progress * 100)}
        >
          <div style={{ width: `${Math.round(progress * 100)}%` }} />
        </div>
        <span className="muted" style={{ minWidth: '14rem' }}>
          {Math.round(progress * 100)} % {message}
        </span>
        {jobId ? <JobControls jobId={jobId} status={status} canWrite={canWrite} /> : null}
      </div>
      <p className={error ? 'error' : 'muted'} style={{ minHeight: '1.5em' }}>
        {error ??
          (status === 'queued'
            ? `The ${what} waits for a worker.`
            : status === 'running'
              ? `The ${what} is running; this page fills in when it completes.`
              : '')}
      </p>
    </div>
  );
}
