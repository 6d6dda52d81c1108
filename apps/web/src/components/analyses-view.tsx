'use client';

import { eigenvectorName } from '@bilinear-lab/contracts/eigenvector-block';
import { useMemo, useState } from 'react';
import { cssColour, symmetricLimit } from '@/lib/colour-scale';
import { number, percent } from '@/lib/format';
import { Heatmap, ScaleLegend } from './heatmap';
import { LineChart } from './line-chart';

export interface TruncationAnalysis {
  k: number[];
  accuracy: number[];
  fullAccuracy: number;
  dataset?: string;
  samples?: number;
}

interface HosvdPairs {
  values: number[];
  vectors: number[][];
  inputVectors: number[][] | null;
}

export interface HosvdAnalysis {
  singularValues: number[];
  components: {
    singularValue: number;
    outputDirection: number[];
    eigenvalues: number[];
    topPositive: HosvdPairs;
    topNegative: HosvdPairs;
  }[];
}

export function TruncationView({ analysis }: { analysis: TruncationAnalysis }) {
  const drop = analysis.accuracy.map((accuracy) => {
    const value = analysis.fullAccuracy - accuracy;
    return value > 0 ? value : null;
  });
  return (
    <div>
      <p className="muted">
        Measured on {analysis.samples ?? 'the'} {analysis.dataset ?? ''} test images. Full model:{' '}
        <strong>{percent(analysis.fullAccuracy)}</strong>.
      </p>
      <div className="grid-2">
        <LineChart
          label="Test accuracy against the number of eigenpairs kept per class, with the full model's accuracy"
          testId="truncation-chart"
          x={analysis.k}
          series={[
            { label: 'top-k accuracy', values: analysis.accuracy, color: '#2456c7', width: 2 },
            {
              label: 'full model',
              values: analysis.k.map(() => analysis.fullAccuracy),
              color: '#1d7a3a',
              dashed: true,
            },
          ]}
          width={560}
          height={280}
          xLabel="k (eigenpairs per class)"
          yLabel="accuracy"
        />
        <LineChart
          label="Accuracy drop against the full model, log scale"
          testId="truncation-drop-chart"
          x={analysis.k}
          series={[{ label: 'accuracy drop', values: drop, color: '#b2182b', width: 2 }]}
          width={560}
          height={280}
          xLabel="k (eigenpairs per class)"
          yLabel="full − top-k accuracy"
          yLog
        />
      </div>
      <table style={{ marginTop: '0.75rem' }}>
        <caption className="muted" style={{ textAlign: 'left' }}>
          The same numbers
        </caption>
        <thead>
          <tr>
            <th scope="col">k</th>
            {analysis.k.map((k) => (
              <th key={k} scope="col" className="num">
                {k}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">accuracy</th>
            {analysis.accuracy.map((accuracy, i) => (
              <td key={analysis.k[i]} className="num">
                {percent(accuracy)}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
    </div>
  );
}

export function HosvdView({ analysis, labels }: { analysis: HosvdAnalysis; labels: string[] }) {
  const [component, setComponent] = useState(0);
  const current = analysis.components[component];
  const vectors = useMemo(() => {
    // The component's pairs as one block: its top positives (descending λ), then its top negatives.
    const positive = current?.topPositive.inputVectors ?? [];
    const negative = current?.topNegative.inputVectors ?? [];
    const split = { positiveCount: positive.length, negativeCount: negative.length };
    return [...positive, ...negative].map((vector, row) => ({
      name: eigenvectorName(split, row),
      vector,
      value:
        row < positive.length
          ? current?.topPositive.values[row]
          : current?.topNegative.values[row - positive.length],
    }));
  }, [current]);
  const limit = useMemo(
    () => Math.max(0, ...vectors.map((entry) => symmetricLimit(entry.vector))),
    [vectors],
  );
  const directionLimit = current ? symmetricLimit(current.outputDirection) : 0;
  return (
    <div className="grid-2">
      <div>
        <LineChart
          label="Singular values of the interaction tensor reshaped to classes × d²"
          testId="hosvd-singular-values"
          x={analysis.singularValues.map((_, i) => i + 1)}
          series={[{ label: 'σ', values: analysis.singularValues, color: '#2456c7', width: 2 }]}
          width={520}
          height={240}
          xLabel="component"
          yLabel="singular value"
        />
        <label className="row" style={{ marginTop: '0.5rem' }}>
          Component
          <select value={component} onChange={(event) => setComponent(Number(event.target.value))}>
            {analysis.components.map((item, i) => (
              <option key={item.singularValue} value={i}>
                {i + 1} (σ = {number(item.singularValue, 3)})
              </option>
            ))}
          </select>
        </label>
      </div>
      {current ? (
        <div>
          <h3 style={{ marginTop: 0 }}>
            Output direction (how much each class uses component {component + 1})
          </h3>
          <div className="bars">
            {current.outputDirection.map((value, i) => (
              <div key={labels[i] ?? i} className="bar-row" style={{ gridTemplateColumns: '3rem 1fr 4rem' }}>
                <span>{labels[i] ?? i}</span>
                <span className="bar-track">
                  <span
                    className="bar-fill"
                    style={{
                      left: value >= 0 ? '50%' : `${50 - (Math.abs(value) / (directionLimit || 1)) * 50}%`,
                      width: `${(Math.abs(value) / (directionLimit || 1)) * 50}%`,
                      background: cssColour(value, directionLimit || 1),
                    }}
                  />
                </span>
                <span className="mono">{number(value, 3)}</span>
              </div>
            ))}
          </div>
          <h3>Top eigenvectors of the component, in pixels</h3>
          {vectors.length === 0 ? (
            <p className="muted">No input-space vectors (the model has more than one block).</p>
          ) : (
            <>
              <div className="heatmap-grid" style={{ gridTemplateColumns: 'repeat(6, 84px)' }}>
                {vectors.map((entry) => (
                  <div key={`${component}-${entry.name}`} className="heatmap-cell">
                    <Heatmap
                      values={entry.vector}
                      side={28}
                      limit={limit}
                      size={78}
                      label={`Component ${component + 1} eigenvector ${entry.name}`}
                    />
                    <span>
                      {entry.name} · λ {number(entry.value, 3)}
                    </span>
                  </div>
                ))}
              </div>
              <ScaleLegend limit={limit} caption="shared by this component" />
            </>
          )}
        </div>
      ) : null}
    </div>
  );
}
