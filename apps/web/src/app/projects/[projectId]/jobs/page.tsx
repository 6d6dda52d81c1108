import { parseSubject } from '@bilinear-lab/jobs/subject';
import type { Metadata } from 'next';
import Link from 'next/link';
import { AutoRefresh } from '@/components/auto-refresh';
import { JobControls } from '@/components/job-controls';
import { StatusBadge } from '@/components/status-badge';
import { dateTime, duration } from '@/lib/format';
import { platform, projectWithRole } from '@/lib/platform';
import type { Worker } from '@/lib/types';

export const metadata: Metadata = { title: 'Jobs & workers' };

const GONE_AFTER_S = 3600;

const FILTERS = ['all', 'queued', 'running', 'failed', 'completed', 'cancelled'] as const;

function subjectLink(projectId: string, text: string): { href: string; text: string } | null {
  const subject = parseSubject(text);
  if (subject === null) return null;
  return subject.kind === 'model'
    ? { href: `/projects/${projectId}/models/${subject.id}`, text: 'training run' }
    : { href: `/projects/${projectId}/decompositions/${subject.id}`, text: 'decomposition' };
}

export default async function JobsPage({ params, searchParams }: PageProps<'/projects/[projectId]/jobs'>) {
  const { projectId } = await params;
  const query = await searchParams;
  const status = FILTERS.find((filter) => filter === query.status) ?? 'all';
  const [project, jobs, allWorkers] = await Promise.all([
    projectWithRole(projectId),
    platform.jobs(projectId, status === 'all' ? undefined : status),
    platform.workers().catch(() => [] as Worker[]),
  ]);
  // Workers of earlier starts keep their row; after an hour without a heartbeat they are history.
  const workers = allWorkers.filter((worker) => worker.alive || worker.heartbeatAgeSeconds <= GONE_AFTER_S);
  const hiddenWorkers = allWorkers.length - workers.length;
  const canWrite = project?.role === 'owner' || project?.role === 'member';
  const active = jobs.some((job) => job.status === 'queued' || job.status === 'running');
  return (
    <main className="page">
      <div className="spread">
        <h1>Jobs & workers</h1>
        <AutoRefresh everyMs={active ? 2000 : 10000} />
      </div>
      <nav aria-label="Filter jobs by status" className="tabs" style={{ marginBottom: '0.75rem' }}>
        {FILTERS.map((filter) => (
          <Link
            key={filter}
            className={`button ${filter === status ? '' : 'secondary'}`}
            href={
              filter === 'all'
                ? `/projects/${projectId}/jobs`
                : `/projects/${projectId}/jobs?status=${filter}`
            }
            aria-current={filter === status ? 'page' : undefined}
          >
            {filter}
          </Link>
        ))}
      </nav>
      {jobs.length === 0 ? (
        <div className="empty">No {status === 'all' ? '' : `${status} `}jobs.</div>
      ) : (
        <table data-testid="jobs-table">
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Attempts</th>
              <th scope="col">Worker</th>
              <th scope="col">Created</th>
              <th scope="col">Took</th>
              <th scope="col">Error</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => {
              const link = subjectLink(projectId, job.subject);
              return (
                <tr key={job.id} data-job-id={job.id}>
                  <td>{job.queue}</td>
                  <td>{link ? <Link href={link.href}>{link.text}</Link> : job.subject}</td>
                  <td>
                    <StatusBadge status={job.status} />
                  </td>
                  <td>
                    <div
                      className="progress"
                      role="progressbar"
                      aria-label="Job progress"
                      aria-valuemin={0}
                      aria-valuemax={100}
                      aria-valuenow={Math.round(job.progress * 100)}
                    >
                      <div style={{ width: `${Math.round(job.progress * 100)}%` }} />
                    </div>
                  </td>
                  <td className="num">
                    {job.attempts}/{job.maxAttempts}
                  </td>
                  <td
                    className="mono"
                    style={{ maxWidth: '12rem', overflow: 'hidden', textOverflow: 'ellipsis' }}
                  >
                    {job.workerId ?? '—'}
                  </td>
                  <td>{dateTime(job.createdAt)}</td>
                  <td>{duration(job.startedAt, job.finishedAt)}</td>
                  <td className="error" style={{ maxWidth: '18rem' }}>
                    {job.error ?? ''}
                  </td>
                  <td>
                    <JobControls jobId={job.id} status={job.status} canWrite={canWrite} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h2>Workers</h2>
      {hiddenWorkers > 0 ? (
        <p className="muted" data-testid="workers-hidden">
          {hiddenWorkers} worker{hiddenWorkers === 1 ? '' : 's'} not heard from for over an hour (earlier
          starts) not shown.
        </p>
      ) : null}
      {workers.length === 0 ? (
        <div className="empty">No worker has registered. Start one with `node apps/worker/dist/main.js`.</div>
      ) : (
        <table data-testid="workers-table">
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">Host</th>
              <th scope="col">Backend</th>
              <th scope="col">Device</th>
              <th scope="col">Queues</th>
              <th scope="col" className="num">
                Concurrency
              </th>
              <th scope="col" className="num">
                Heartbeat age
              </th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {workers.map((worker) => (
              <tr key={worker.id}>
                <td className="mono">{worker.id}</td>
                <td>{worker.host}</td>
                <td>{worker.backend}</td>
                <td>{worker.device}</td>
                <td>{worker.queues.join(', ')}</td>
                <td className="num">{worker.concurrency}</td>
                <td className="num">{worker.heartbeatAgeSeconds.toFixed(1)} s</td>
                <td>
                  {worker.alive ? (
                    <span className="badge completed">alive</span>
                  ) : (
                    <span className="badge failed">gone</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
