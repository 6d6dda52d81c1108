'use client';

import { useMemo } from 'react';
import { symmetricLimit } from '@/lib/colour-scale';
import { number, percent } from '@/lib/format';
import { Heatmap, ScaleLegend } from './heatmap';
import { LineChart } from './line-chart';

/** The worker's "adversarial" analysis (apps/worker/src/results/analyses.ts). */
export interface AdversarialAnalysis {
  /** classes × pixels of a square image: mask t pushes predictions towards class t. */
  masks: number[][];
  scales: number[];
  flipRate: number[];
  baselineFlipRate: number[];
  /** Per scale, per target class; null for a target no attacked image was eligible for. */
  perTargetFlipRate: (number | null)[][];
  evaluated: number;
  cleanAccuracy: number | null;
  seed: number;
  datasetSpec: string;
  samples?: number;
}

export function AdversarialView({ analysis, labels }: { analysis: AdversarialAnalysis; labels: string[] }) {
  // One scale for all masks, so that their colours compare across classes.
  const limit = useMemo(
    () => Math.max(0, ...analysis.masks.map((mask) => symmetricLimit(mask))),
    [analysis.masks],
  );
  const largestLast = analysis.scales.length - 1;
  // The masks are square images (the core computes them only for square inputs): 28 × 28 for MNIST.
  const side = Math.round(Math.sqrt(analysis.masks[0]?.length ?? 0));
  return (
    <div>
      <p className="muted">
        Built from the weights alone: mask t is column t of the pseudo-inverse of the classes' stacked top
        positive eigenvectors (in pixels), so it overlaps class t's top eigenvector and is orthogonal to every
        other class's. Each of the {analysis.evaluated} correctly classified {analysis.datasetSpec} test
        images (clean accuracy {percent(analysis.cleanAccuracy)}) gets scale × mask added for every other
        class; the flip rate is the share predicted as that class afterwards, against the same masks with
        their pixels permuted (seed {analysis.seed}). Pixels are in [0, 1] and the sums are not clipped.
      </p>
      <div className="grid-2">
        <div>
          <div
            className="heatmap-grid"
            style={{ gridTemplateColumns: 'repeat(5, 96px)' }}
            data-testid="adversarial-masks"
          >
            {analysis.masks.map((mask, t) => (
              <div key={labels[t] ?? t} className="heatmap-cell">
                <Heatmap
                  values={mask}
                  side={side}
                  limit={limit}
                  size={90}
                  label={`Adversarial mask towards class ${labels[t] ?? t}`}
                />
                <span>→ {labels[t] ?? t}</span>
              </div>
            ))}
          </div>
          <ScaleLegend limit={limit} caption="shared by the masks" />
        </div>
        <LineChart
          label="Share of test images turned into the target class against the mask's scale, with the permuted-pixel baseline"
          testId="adversarial-chart"
          x={analysis.scales}
          series={[
            { label: 'mask', values: analysis.flipRate, color: '#b2182b', width: 2 },
            { label: 'permuted pixels', values: analysis.baselineFlipRate, color: '#6b7280', dashed: true },
          ]}
          width={520}
          height={260}
          xLabel="mask scale"
          yLabel="flip rate"
          yRange={[0, 1]}
        />
      </div>
      <table style={{ marginTop: '0.75rem' }} data-testid="adversarial-table">
        <caption className="muted" style={{ textAlign: 'left' }}>
          Mean over target classes; the largest pixel change is scale × the masks' largest |value| (
          {number(limit, 3)}).
        </caption>
        <thead>
          <tr>
            <th scope="col">scale</th>
            <th scope="col" className="num">
              largest pixel change
            </th>
            <th scope="col" className="num">
              flip rate
            </th>
            <th scope="col" className="num">
              permuted baseline
            </th>
          </tr>
        </thead>
        <tbody>
          {analysis.scales.map((scale, j) => (
            <tr key={scale}>
              <th scope="row">{scale}</th>
              <td className="num">{number(scale * limit, 3)}</td>
              <td className="num">{percent(analysis.flipRate[j], 1)}</td>
              <td className="num">{percent(analysis.baselineFlipRate[j], 1)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {largestLast >= 0 ? (
        <p className="muted">
          Per target at scale {analysis.scales[largestLast]}:{' '}
          {(analysis.perTargetFlipRate[largestLast] ?? [])
            .map((rate, t) => `${labels[t] ?? t} ${rate === null ? '—' : percent(rate, 0)}`)
            .join(' · ')}
        </p>
      ) : null}
    </div>
  );
}
