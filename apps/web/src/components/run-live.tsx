'use client';

import { useRouter } from 'next/navigation';
import { useMemo, useRef, useState } from 'react';
import { type JobEventData, useJobEvents } from '@/lib/job-events';
import type { TrainingMetric } from '@/lib/types';
import { LineChart } from './line-chart';
import { useRunStatus } from './run-status';
import { StatusBadge } from './status-badge';

interface Row {
  step: number;
  epoch: number;
  loss: number | null;
  learningRate: number | null;
  trainAccuracy: number | null;
  testAccuracy: number | null;
  testLoss: number | null;
  tokensPerSecond: number | null;
}

type MetricLike = Pick<TrainingMetric, 'kind' | 'step' | 'epoch' | 'loss' | 'learningRate'> & {
  trainAccuracy?: number | null;
  testAccuracy?: number | null;
  testLoss?: number | null;
  tokensPerSecond?: number | null;
};

/** Step and epoch records merged into one row per optimiser step (epoch records add the accuracies). */
function mergeMetric(rows: Map<number, Row>, metric: MetricLike) {
  const row = rows.get(metric.step) ?? {
    step: metric.step,
    epoch: metric.epoch,
    loss: null,
    learningRate: null,
    trainAccuracy: null,
    testAccuracy: null,
    testLoss: null,
    tokensPerSecond: null,
  };
  if (metric.kind === 'step') {
    row.loss = metric.loss;
    row.learningRate = metric.learningRate;
    row.tokensPerSecond = metric.tokensPerSecond ?? row.tokensPerSecond;
  } else if (metric.kind === 'evaluation') {
    // A language model's held-out loss: only testLoss, the step row keeps the training loss.
    row.testLoss = metric.testLoss ?? row.testLoss;
  } else {
    row.loss ??= metric.loss;
    row.learningRate ??= metric.learningRate;
    row.trainAccuracy = metric.trainAccuracy ?? row.trainAccuracy;
    row.testAccuracy = metric.testAccuracy ?? row.testAccuracy;
    row.testLoss = metric.testLoss ?? row.testLoss;
  }
  row.epoch = metric.epoch;
  rows.set(metric.step, row);
}

const LIVE_STATUSES = new Set(['queued', 'running']);
const MAX_LOG_LINES = 200;

/**
 * Live loss, accuracy (a classifier's) or tokens/s (a language model's) and learning-rate curves,
 * progress and log of one training job.
 */
export function RunLive({
  jobId,
  status: initialStatus,
  initialProgress,
  initialMetrics,
  epochs,
  languageModel = false,
}: {
  jobId: string | null;
  status: string;
  initialProgress: number;
  initialMetrics: TrainingMetric[];
  epochs: number | null;
  languageModel?: boolean;
}) {
  const router = useRouter();
  const rows = useRef<Map<number, Row>>(null as unknown as Map<number, Row>);
  if (rows.current === null) {
    rows.current = new Map();
    for (const metric of initialMetrics) mergeMetric(rows.current, metric);
  }
  const [version, setVersion] = useState(0);
  const run = useRunStatus();
  const [ownStatus, setOwnStatus] = useState(initialStatus);
  const status = run?.status ?? ownStatus;
  const setStatus = (next: string) => {
    setOwnStatus(next);
    run?.update(next);
  };
  const [progress, setProgress] = useState(initialProgress);
  const [message, setMessage] = useState<string>('');
  const [totalSteps, setTotalSteps] = useState<number | null>(null);
  const [log, setLog] = useState<string[]>([]);
  const pendingFrame = useRef(false);

  const appendLog = (at: Date, line: string) =>
    setLog((lines) => [...lines.slice(-(MAX_LOG_LINES - 1)), `${clockTime(at)}  ${line}`]);

  // A finished job's stream is its stored log, replayed: it fills the Log, and leaves the status,
  // the bar and the curves (the server rendered them from the stored results) as they are.
  const live = LIVE_STATUSES.has(initialStatus);
  useJobEvents(jobId, true, (event: JobEventData, at: Date) => {
    if (event.type === 'metrics' && !live) {
      if (event.kind !== 'step') appendLog(at, epochLine(event));
    } else if (event.type === 'metrics') {
      mergeMetric(rows.current, event);
      setTotalSteps(event.totalSteps);
      // Many steps can arrive in one burst: redraw once per animation frame.
      if (!pendingFrame.current) {
        pendingFrame.current = true;
        requestAnimationFrame(() => {
          pendingFrame.current = false;
          setVersion((value) => value + 1);
        });
      }
      if (event.kind !== 'step') appendLog(at, epochLine(event));
    } else if (event.type === 'progress') {
      if (!live) return;
      setProgress(event.progress);
      if (event.message) setMessage(event.message);
    } else if (event.type === 'state') {
      appendLog(
        at,
        `state ${event.status}${event.attempt ? ` (attempt ${event.attempt})` : ''}${event.workerId ? ` on ${event.workerId}` : ''}${event.error ? `: ${event.error}` : ''}`,
      );
      if (!live) return;
      setStatus(event.status);
      // A finished job has final metrics and a checkpoint: reload the server-rendered parts.
      if (!LIVE_STATUSES.has(event.status)) router.refresh();
    } else if (event.type === 'log') {
      appendLog(at, `${event.level}: ${event.message}`);
    }
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the redraw signal for the mutable rows
  const series = useMemo(() => {
    const sorted = [...rows.current.values()].sort((a, b) => a.step - b.step);
    return {
      step: sorted.map((row) => row.step),
      loss: sorted.map((row) => row.loss),
      testLoss: sorted.map((row) => row.testLoss),
      learningRate: sorted.map((row) => row.learningRate),
      trainAccuracy: sorted.map((row) => row.trainAccuracy),
      testAccuracy: sorted.map((row) => row.testAccuracy),
      tokensPerSecond: sorted.map((row) => row.tokensPerSecond),
      lastEpoch: sorted.at(-1)?.epoch ?? 0,
    };
  }, [version]);

  const shownProgress = status === 'completed' ? 1 : progress;
  return (
    <section aria-labelledby="curves-heading">
      <div className="spread">
        <h2 id="curves-heading">Training curves</h2>
        <div className="row" aria-live="polite">
          <StatusBadge status={status} />
          <div
            className="progress"
            role="progressbar"
            aria-label="Training progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(shownProgress * 100)}
          >
            <div style={{ width: `${Math.round(shownProgress * 100)}%` }} />
          </div>
          <span className="muted" style={{ minWidth: '16rem' }} data-testid="progress-text">
            {Math.round(shownProgress * 100)} %{epochs ? ` · epoch ${series.lastEpoch} of ${epochs}` : ''}
            {totalSteps ? ` · step ${series.step.at(-1) ?? 0} of ${totalSteps}` : ''}
            {/* The worker's message repeats the epoch and step the curves already count; once
                metrics arrive only those are shown, so the line names one step, not two. */}
            {message && !(totalSteps && message.startsWith('epoch ')) ? ` · ${message}` : ''}
          </span>
        </div>
      </div>
      <div className="grid-3">
        <LineChart
          label={
            languageModel
              ? 'Loss per step (training) and per evaluation (held out)'
              : 'Loss per step (training) and per epoch (test)'
          }
          testId="loss-chart"
          x={series.step}
          series={[
            { label: 'train loss', values: series.loss, color: '#2456c7' },
            {
              label: languageModel ? 'held-out loss' : 'test loss',
              values: series.testLoss,
              color: '#c0392b',
              pointsOnly: true,
            },
          ]}
          width={390}
          height={240}
          xLabel="step"
          yLabel="loss"
        />
        {languageModel ? (
          <LineChart
            label="Tokens per second per step"
            testId="tokens-per-second-chart"
            x={series.step}
            series={[{ label: 'tokens / s', values: series.tokensPerSecond, color: '#1d7a3a' }]}
            width={390}
            height={240}
            xLabel="step"
            yLabel="tokens / s"
          />
        ) : (
          <LineChart
            label="Accuracy per epoch"
            testId="accuracy-chart"
            x={series.step}
            series={[
              { label: 'train acc.', values: series.trainAccuracy, color: '#2456c7', pointsOnly: true },
              { label: 'test acc.', values: series.testAccuracy, color: '#1d7a3a', pointsOnly: true },
            ]}
            width={390}
            height={240}
            xLabel="step"
            yLabel="accuracy"
          />
        )}
        <LineChart
          label="Learning rate per step"
          testId="lr-chart"
          x={series.step}
          series={[{ label: 'learning rate', values: series.learningRate, color: '#8e44ad' }]}
          width={390}
          height={240}
          xLabel="step"
          yLabel="learning rate"
        />
      </div>
      <p className="muted" style={{ minHeight: '1.5em' }} data-testid="metrics-note">
        {series.step.length > 0
          ? ''
          : LIVE_STATUSES.has(status)
            ? 'Waiting for the first step…'
            : 'No training curves for this model (imported, or trained before metrics were kept).'}
      </p>
      <h3>Log</h3>
      <pre className="log" role="log" aria-label="Job log" data-testid="job-log">
        {log.length > 0 ? log.join('\n') : jobId ? 'No events yet.' : 'No job log (an imported model).'}
      </pre>
    </section>
  );
}

function epochLine(event: Extract<JobEventData, { type: 'metrics' }>): string {
  if (event.kind === 'evaluation') {
    return `step ${event.step}: held-out loss ${event.testLoss?.toFixed(4) ?? '—'} (training loss ${event.loss.toFixed(4)})`;
  }
  const accuracy = event.testAccuracy != null ? `${(event.testAccuracy * 100).toFixed(2)} %` : '—';
  return `epoch ${event.epoch}: loss ${event.loss.toFixed(4)}, test accuracy ${accuracy}`;
}

/** HH:mm:ss, plus the ISO date when the event is from another day (a replayed log). */
function clockTime(at: Date): string {
  const iso = at.toISOString();
  const time = at.toLocaleTimeString('en-GB');
  return iso.slice(0, 10) === new Date().toISOString().slice(0, 10) ? time : `${iso.slice(0, 10)} ${time}`;
}
