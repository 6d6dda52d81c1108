import type { EpochMetrics, StepMetrics } from '@bilinear-lab/training';
import { formatInteger } from '../format.js';
import { statusLine } from '../progress.js';

/** What `train` shows on stderr while it runs. */
export interface TrainingProgress {
  step(metrics: StepMetrics): void;
  epoch(metrics: EpochMetrics): void;
  stop(): void;
}

const BAR_WIDTH = 20;
/** Redraws of the status line at most this often, so fast toy runs do not flood the terminal. */
const REDRAW_MS = 100;
/** Weight of the newest step in the smoothed samples/s. */
const SMOOTHING = 0.2;

/**
 * On a terminal, one status line rewritten in place: epoch, a bar over all steps, the last step's
 * loss and accuracy, samples/s and the time left. Everywhere, one line per finished epoch with its
 * train and test metrics, so logs of long runs keep a record.
 */
export function trainingProgress(
  epochs: number,
  stream: NodeJS.WriteStream = process.stderr,
): TrainingProgress {
  const status = statusLine(stream);
  const started = performance.now();
  let firstStep: number | null = null;
  let lastDraw = 0;
  let rate: number | null = null;
  return {
    step(metrics) {
      firstStep ??= metrics.step - 1;
      rate = rate === null ? metrics.samplesPerSecond : rate + SMOOTHING * (metrics.samplesPerSecond - rate);
      const now = performance.now();
      if (!stream.isTTY || now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      const done = metrics.step / metrics.totalSteps;
      const filled = Math.round(done * BAR_WIDTH);
      const stepsHere = metrics.step - firstStep;
      const secondsLeft = ((now - started) / 1000 / stepsHere) * (metrics.totalSteps - metrics.step);
      status.set(
        [
          `epoch ${metrics.epoch + 1}/${epochs}`,
          `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} ${metrics.step}/${metrics.totalSteps}`,
          `loss ${metrics.loss.toFixed(4)}`,
          ...(metrics.accuracy === null ? [] : [`accuracy ${metrics.accuracy.toFixed(4)}`]),
          `${formatInteger(Math.round(rate))} samples/s`,
          `ETA ${formatDuration(secondsLeft)}`,
        ].join('  '),
      );
    },
    epoch(metrics) {
      status.clear();
      const accuracy = (value: number | null) => (value === null ? '' : `, accuracy ${value.toFixed(4)}`);
      stream.write(
        `epoch ${metrics.epoch}/${epochs}: train loss ${metrics.trainLoss.toFixed(4)}${accuracy(metrics.trainAccuracy)}; ` +
          `test loss ${metrics.testLoss.toFixed(4)}${accuracy(metrics.testAccuracy)}; ` +
          `${formatInteger(Math.round(metrics.samplesPerSecond))} samples/s, ${metrics.seconds.toFixed(metrics.seconds < 10 ? 2 : 1)} s\n`,
      );
    },
    stop() {
      status.clear();
    },
  };
}

/** "42 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
}
