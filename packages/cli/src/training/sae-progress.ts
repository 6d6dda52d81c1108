import type { TopKSaeStepReport } from '@bilinear-lab/training';
import { formatInteger } from '../format.js';
import { statusLine } from '../progress.js';
import { formatDuration } from './train-progress.js';

const BAR_WIDTH = 20;
const REDRAW_MS = 100;
/** Without a terminal, about this many progress lines per run. */
const LINES = 10;

/**
 * What `sae train` shows on stderr while it trains: on a terminal one status line rewritten in
 * place (a bar, the batch's MSE and explained variance, tokens/s, the time left); without one (a
 * log, a pipe) the same numbers on a line every tenth of the run.
 */
export function saeProgress(stream: NodeJS.WriteStream = process.stderr) {
  const status = statusLine(stream);
  let lastDraw = 0;
  return {
    step(report: TopKSaeStepReport) {
      const numbers = [
        `MSE ${report.mse.toPrecision(4)}`,
        `explained variance ${report.explainedVariance.toFixed(4)}`,
        `lr ${report.learningRate.toExponential(2)}`,
        `${formatInteger(Math.round(report.tokensPerSecond))} tokens/s`,
        `ETA ${formatDuration(report.secondsLeft)}`,
      ];
      if (!stream.isTTY) {
        const every = Math.max(1, Math.round(report.totalSteps / LINES));
        if (report.step % every === 0 || report.step === report.totalSteps || report.step === 1) {
          stream.write(`step ${report.step}/${report.totalSteps}: ${numbers.join(', ')}\n`);
        }
        return;
      }
      const now = performance.now();
      if (now - lastDraw < REDRAW_MS && report.step !== report.totalSteps) return;
      lastDraw = now;
      const filled = Math.round((report.step / report.totalSteps) * BAR_WIDTH);
      status.set(
        [
          `step ${report.step}/${report.totalSteps}`,
          `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`,
          ...numbers,
        ].join('  '),
      );
    },
    stop() {
      status.clear();
    },
  };
}
