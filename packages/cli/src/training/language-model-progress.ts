import type { LanguageModelEvaluation, LanguageModelStepMetrics } from '@bilinear-lab/training';
import { formatInteger } from '../format.js';
import { statusLine } from '../progress.js';
import { formatDuration } from './train-progress.js';

/** What `train` shows on stderr while a language model trains. */
export interface LanguageModelProgress {
  step(metrics: LanguageModelStepMetrics): void;
  evaluation(evaluation: LanguageModelEvaluation, totalSteps: number): void;
  stop(): void;
}

const BAR_WIDTH = 20;
const REDRAW_MS = 100;
/** Weight of the newest step in the smoothed tokens/s. */
const SMOOTHING = 0.2;
/** Without a terminal, about this many progress lines per run. */
const LINES = 10;

/**
 * On a terminal, one status line rewritten in place: a bar over the steps, the last batch's loss,
 * tokens/s and the time left. Without one (a log, a pipe), a line every tenth of the run with the
 * same numbers. Everywhere, a line for each held-out evaluation.
 */
export function languageModelProgress(
  totalSteps: number,
  stream: NodeJS.WriteStream = process.stderr,
): LanguageModelProgress {
  const status = statusLine(stream);
  const every = Math.max(1, Math.round(totalSteps / LINES));
  let lastDraw = 0;
  let rate: number | null = null;
  return {
    step(metrics) {
      rate = rate === null ? metrics.tokensPerSecond : rate + SMOOTHING * (metrics.tokensPerSecond - rate);
      const numbers = [
        `loss ${metrics.loss.toFixed(4)}`,
        `lr ${metrics.learningRate.toExponential(2)}`,
        `${formatInteger(Math.round(rate))} tokens/s`,
        `ETA ${formatDuration(metrics.secondsLeft)}`,
      ];
      if (!stream.isTTY) {
        if (metrics.step % every === 0 || metrics.step === metrics.totalSteps) {
          stream.write(`step ${metrics.step}/${metrics.totalSteps}: ${numbers.join(', ')}\n`);
        }
        return;
      }
      const now = performance.now();
      if (now - lastDraw < REDRAW_MS && metrics.step !== metrics.totalSteps) return;
      lastDraw = now;
      const filled = Math.round((metrics.step / metrics.totalSteps) * BAR_WIDTH);
      status.set(
        [
          `step ${metrics.step}/${metrics.totalSteps}`,
          `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`,
          ...numbers,
        ].join('  '),
      );
    },
    evaluation(evaluation, steps) {
      status.clear();
      stream.write(
        `step ${evaluation.step}/${steps}: held-out loss ${evaluation.validationLoss.toFixed(4)}, ` +
          `mean train loss ${evaluation.trainLoss.toFixed(4)} since the last evaluation\n`,
      );
    },
    stop() {
      status.clear();
    },
  };
}
