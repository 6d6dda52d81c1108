'use client';

import { useMemo, useState } from 'react';
import { number, percent } from '@/lib/format';
import { overlaidSpectra, type RankAxis } from '@/lib/spectra';
import { ClassTabs } from './class-tabs';
import { LineChart } from './line-chart';

export interface ComparedModel {
  id: string;
  name: string;
  testAccuracy: number | null;
  config: Record<string, unknown>;
  decompositionId: string;
  /** Per output: its eigenvalues, most positive first (as the API serves them). */
  spectra: Record<number, { label: string; eigenvalues: number[]; effectiveRank: number }>;
}

const PALETTE = ['#2456c7', '#b2182b', '#1d7a3a', '#8e44ad', '#d35400', '#16a085'];

export function CompareView({
  models,
  similarity,
}: {
  models: ComparedModel[];
  similarity: Record<string, Record<number, number[]>>;
}) {
  const reference = models[0] as ComparedModel;
  const outputs = Object.entries(reference.spectra).map(([index, spectrum]) => ({
    index: Number(index),
    label: spectrum.label,
  }));
  const [selected, setSelected] = useState(outputs[0]?.index ?? 0);
  const widths = models.map((model) => model.spectra[selected]?.eigenvalues.length ?? 0);
  const sameWidth = widths.every((width) => width === widths[0]);
  const [axis, setAxis] = useState<RankAxis>(sameWidth ? 'rank' : 'fraction');
  const spectra = useMemo(() => {
    const overlaid = overlaidSpectra(
      models.map((model) => model.spectra[selected]?.eigenvalues),
      axis,
    );
    return {
      x: overlaid.x,
      series: models.map((model, i) => ({
        label: `${model.name} (d = ${model.spectra[selected]?.eigenvalues.length ?? '?'})${i === 0 ? ', reference' : ''}`,
        values: overlaid.values[i] ?? [],
        color: PALETTE[i % PALETTE.length] as string,
        width: i === 0 ? 3 : 2,
      })),
    };
  }, [models, selected, axis]);
  const others = models.slice(1);
  const similarityLength = Math.max(
    0,
    ...others.map((model) => similarity[model.decompositionId]?.[selected]?.length ?? 0),
  );

  return (
    <div style={{ marginTop: '1rem' }} data-testid="compare-view">
      <ClassTabs outputs={outputs} selected={selected} onSelect={setSelected} controls="compare-panel" />
      <div id="compare-panel" role="tabpanel" className="grid-2" style={{ marginTop: '1rem' }}>
        <section className="panel" aria-label="Spectra overlaid">
          <h2 style={{ marginTop: 0 }}>
            Every eigenvalue of class {selected} (most positive first), overlaid
          </h2>
          <fieldset className="row" style={{ border: 'none', padding: 0, margin: '0 0 0.5rem' }}>
            <legend className="muted">x axis</legend>
            <label className="row" style={{ gap: '0.3rem' }}>
              <input
                type="radio"
                name="rank-axis"
                value="fraction"
                checked={axis === 'fraction'}
                onChange={() => setAxis('fraction')}
                data-testid="rank-axis-fraction"
              />
              rank / d (each model's width)
            </label>
            <label className="row" style={{ gap: '0.3rem' }}>
              <input
                type="radio"
                name="rank-axis"
                value="rank"
                checked={axis === 'rank'}
                onChange={() => setAxis('rank')}
                data-testid="rank-axis-rank"
              />
              rank
            </label>
          </fieldset>
          <LineChart
            label={`Eigenvalues of class ${selected} for each model, most positive first, against ${axis === 'rank' ? 'rank' : 'rank divided by the model’s width d'}`}
            testId="compare-spectra"
            x={spectra.x}
            series={spectra.series}
            width={560}
            height={280}
            xLabel={axis === 'rank' ? 'rank (most positive first)' : 'rank / d (most positive first)'}
            yLabel="λ"
          />
        </section>
        <section className="panel" aria-label="Eigenvector similarity">
          <h2 style={{ marginTop: 0 }}>
            Eigenvector similarity with the reference,{' '}
            <span data-testid="compare-reference">{reference.name}</span>
          </h2>
          <LineChart
            label={`Best |cos| between ${reference.name}'s top positive eigenvectors and each other model's, by rank`}
            testId="compare-similarity"
            x={Array.from({ length: similarityLength }, (_, i) => i + 1)}
            series={others.map((model, i) => ({
              label: model.name,
              values: Array.from(
                { length: similarityLength },
                (_, r) => similarity[model.decompositionId]?.[selected]?.[r] ?? null,
              ),
              color: PALETTE[(i + 1) % PALETTE.length] as string,
              width: 2,
            }))}
            width={560}
            height={280}
            xLabel="rank of the reference's positive eigenvector"
            yLabel="|cos| of best match"
            yRange={[0, 1]}
          />
        </section>
      </div>
      <h2>Accuracy and settings</h2>
      <table data-testid="compare-table">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="num">
              Test accuracy
            </th>
            <th scope="col" className="num">
              Effective rank (class {selected})
            </th>
            {Object.keys(reference.config).map((key) => (
              <th key={key} scope="col">
                {key}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {models.map((model, i) => (
            <tr key={model.id}>
              <td>
                {model.name}
                {i === 0 ? <span className="badge"> reference</span> : null}
              </td>
              <td className="num">{percent(model.testAccuracy)}</td>
              <td className="num">{number(model.spectra[selected]?.effectiveRank, 4)}</td>
              {Object.keys(reference.config).map((key) => (
                <td key={key} className="mono">
                  {String(model.config[key] ?? '—')}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
