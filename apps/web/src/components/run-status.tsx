'use client';

import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { duration } from '@/lib/format';
import { StatusBadge } from './status-badge';

interface RunStatus {
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface RunStatusContext extends RunStatus {
  /** Called by the live view on every state event, so the header, the facts and the bar agree. */
  update: (status: string) => void;
}

const Context = createContext<RunStatusContext | null>(null);
const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** One status for the whole run page: the server's at first, then the job's live state events. */
export function RunStatusProvider({ initial, children }: { initial: RunStatus; children: ReactNode }) {
  const [run, setRun] = useState(initial);
  // A server refresh (after the job finished) brings the stored times: they replace the estimates.
  // Its status is taken only when final (a refresh can read the database a moment before the worker
  // wrote the state its event already announced).
  useEffect(
    () =>
      setRun((current) => ({
        status: FINAL.has(initial.status) ? initial.status : current.status,
        startedAt: initial.startedAt ?? current.startedAt,
        finishedAt: initial.finishedAt ?? current.finishedAt,
      })),
    [initial.status, initial.startedAt, initial.finishedAt],
  );
  const update = (status: string) =>
    setRun((current) => ({
      status,
      // The event's arrival stands in for the stored time until the page is refreshed.
      startedAt:
        status === 'running' && current.status !== 'running' ? new Date().toISOString() : current.startedAt,
      finishedAt: FINAL.has(status) ? (current.finishedAt ?? new Date().toISOString()) : null,
    }));
  return <Context.Provider value={{ ...run, update }}>{children}</Context.Provider>;
}

export function useRunStatus(): RunStatusContext | null {
  return useContext(Context);
}

export function RunStatusBadge({ fallback }: { fallback: string }) {
  const run = useRunStatus();
  return <StatusBadge status={run?.status ?? fallback} />;
}

/** Time since the job started, counting while it runs. */
export function RunDuration() {
  const run = useRunStatus();
  const [, tick] = useState(0);
  const running = run?.status === 'running';
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => tick((value) => value + 1), 1000);
    return () => clearInterval(timer);
  }, [running]);
  if (!run) return <>—</>;
  return <span data-testid="run-duration">{duration(run.startedAt, run.finishedAt)}</span>;
}
