// A training run's metric series as TrainingMetric rows: kept whole in memory (the commit rewrites
// the series, so a retry never leaves two), and handed out in batches for live streaming meanwhile.
import type { JobEvent } from '@bilinear-lab/contracts';
import type { Prisma } from '@bilinear-lab/db';
import type { EpochMetrics, StepMetrics } from '@bilinear-lab/training';

export type MetricRow = Prisma.TrainingMetricCreateManyInput;
type MetricsEvent = Extract<JobEvent, { type: 'metrics' }>;

export class MetricSeries {
  private readonly all: MetricRow[] = [];
  private unsent = 0;
  private lastStep = 0;
  private totalSteps = 0;

  constructor(private readonly runId: string) {}

  /** Records a step (epochs counted from 1, as in epoch rows) and returns its event. */
  step(metrics: StepMetrics): MetricsEvent {
    this.lastStep = metrics.step;
    this.totalSteps = metrics.totalSteps;
    const epoch = metrics.epoch + 1;
    this.all.push({
      runId: this.runId,
      kind: 'step',
      step: metrics.step,
      epoch,
      loss: metrics.loss,
      learningRate: metrics.learningRate,
      trainAccuracy: metrics.accuracy,
    });
    return {
      type: 'metrics',
      kind: 'step',
      epoch,
      step: metrics.step,
      totalSteps: metrics.totalSteps,
      loss: metrics.loss,
      learningRate: metrics.learningRate,
      trainAccuracy: metrics.accuracy,
      samplesPerSecond: metrics.samplesPerSecond,
    };
  }

  /** Records an epoch (keyed by the step it ended at) and returns its event. */
  epoch(metrics: EpochMetrics): MetricsEvent {
    this.all.push({
      runId: this.runId,
      kind: 'epoch',
      step: this.lastStep,
      epoch: metrics.epoch,
      loss: metrics.trainLoss,
      learningRate: metrics.learningRate,
      trainAccuracy: metrics.trainAccuracy,
      testAccuracy: metrics.testAccuracy,
      testLoss: metrics.testLoss,
    });
    return {
      type: 'metrics',
      kind: 'epoch',
      epoch: metrics.epoch,
      step: this.lastStep,
      totalSteps: this.totalSteps,
      loss: metrics.trainLoss,
      learningRate: metrics.learningRate,
      trainAccuracy: metrics.trainAccuracy,
      testAccuracy: metrics.testAccuracy,
      testLoss: metrics.testLoss,
      samplesPerSecond: metrics.samplesPerSecond,
    };
  }

  /** Rows recorded since the last call. */
  takeUnsent(): MetricRow[] {
    const rows = this.all.slice(this.unsent);
    this.unsent = this.all.length;
    return rows;
  }

  rows(): MetricRow[] {
    return [...this.all];
  }
}
