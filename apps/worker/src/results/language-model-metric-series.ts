// A language model's metric series as TrainingMetric rows: a row per step (loss, learning rate,
// tokens per second) and one per held-out evaluation (kind "evaluation", the held-out loss in
// testLoss), with the events watchers see. There are no epochs: epoch is 1.
import type { JobEvent } from '@bilinear-lab/contracts';
import type { LanguageModelEvaluation, LanguageModelStepMetrics } from '@bilinear-lab/training';
import type { MetricRow } from './metric-series.js';

type MetricsEvent = Extract<JobEvent, { type: 'metrics' }>;

export class LanguageModelMetricSeries {
  private readonly all: MetricRow[] = [];
  private unsent = 0;
  private learningRate = 0;

  constructor(private readonly runId: string) {}

  step(metrics: LanguageModelStepMetrics): MetricsEvent {
    this.learningRate = metrics.learningRate;
    this.all.push({
      runId: this.runId,
      kind: 'step',
      step: metrics.step,
      epoch: 1,
      loss: metrics.loss,
      learningRate: metrics.learningRate,
      tokensPerSecond: metrics.tokensPerSecond,
    });
    return {
      type: 'metrics',
      kind: 'step',
      epoch: 1,
      step: metrics.step,
      totalSteps: metrics.totalSteps,
      loss: metrics.loss,
      learningRate: metrics.learningRate,
      tokensPerSecond: metrics.tokensPerSecond,
    };
  }

  evaluation(evaluation: LanguageModelEvaluation, totalSteps: number): MetricsEvent {
    this.all.push({
      runId: this.runId,
      kind: 'evaluation',
      step: evaluation.step,
      epoch: 1,
      loss: evaluation.trainLoss,
      learningRate: this.learningRate,
      testLoss: evaluation.validationLoss,
    });
    return {
      type: 'metrics',
      kind: 'evaluation',
      epoch: 1,
      step: evaluation.step,
      totalSteps,
      loss: evaluation.trainLoss,
      learningRate: this.learningRate,
      testLoss: evaluation.validationLoss,
    };
  }

  /** Rows recorded since the last call. */
  takeUnsent(): MetricRow[] {
    const rows = this.all.slice(this.unsent);
    this.unsent = this.all.length;
    return rows;
  }

  /** This attempt's rows (a resumed run's earlier steps are already stored). */
  rows(): MetricRow[] {
    return [...this.all];
  }
}
