'use client';

import { useMemo, useState } from 'react';
import { symmetricLimit } from '@/lib/colour-scale';
import { number } from '@/lib/format';
import { Heatmap, type HeatmapHover, ScaleLegend } from './heatmap';
import { LineChart } from './line-chart';

interface TopImage {
  index: number;
  label: number;
  projection: number;
  contribution: number;
  pixels: number[];
}

export function EigenvectorDetail({
  vector,
  label,
  eigenvalue,
  top,
  histogram,
  byClass = null,
}: {
  vector: number[];
  label: string;
  eigenvalue: number;
  top: TopImage[];
  histogram: { centres: number[]; counts: number[] } | null;
  /** vᵀx of the eigenvector's own class against the rest, as shares of each group. */
  byClass?: {
    label: string;
    centres: number[];
    target: number[];
    rest: number[];
    targetCount: number;
    restCount: number;
  } | null;
}) {
  const [hover, setHover] = useState<HeatmapHover | null>(null);
  const limit = useMemo(() => symmetricLimit(vector), [vector]);
  const side = Math.round(Math.sqrt(vector.length));
  return (
    <div className="grid-2" style={{ gridTemplateColumns: '380px minmax(0, 1fr)' }}>
      <section className="panel" aria-label="Eigenvector heatmap">
        <Heatmap
          values={vector}
          side={side}
          limit={limit}
          size={336}
          label={`Eigenvector ${label} as an image`}
          onHover={setHover}
        />
        <ScaleLegend limit={limit} />
        <p className="hover-readout">
          {hover
            ? `row ${hover.row}, column ${hover.column}: ${number(hover.value)}`
            : 'Hover to read pixel values.'}
        </p>
      </section>
      <div className="stack">
        <section className="panel" aria-labelledby="top-images">
          <h2 id="top-images" style={{ marginTop: 0 }}>
            Top-activating test images (largest |λ (vᵀx)²|)
          </h2>
          {top.length === 0 ? (
            <p className="muted">Not an image model: no test images to rank.</p>
          ) : (
            <div className="heatmap-grid" style={{ gridTemplateColumns: 'repeat(6, 96px)' }}>
              {top.map((image) => (
                <div key={image.index} className="heatmap-cell">
                  <Heatmap
                    values={image.pixels}
                    side={side}
                    limit={1}
                    size={84}
                    grayscale
                    label={`Test image ${image.index}, a ${image.label}`}
                  />
                  <span>
                    #{image.index} ({image.label}) · {number(image.contribution, 3)}
                  </span>
                </div>
              ))}
            </div>
          )}
          <p className="muted">
            λ = {number(eigenvalue, 5)}; the number under each image is its contribution to the logit.
          </p>
        </section>
        <section className="panel" aria-labelledby="activation-histogram">
          <h2 id="activation-histogram" style={{ marginTop: 0 }}>
            Activations vᵀx over the 2 000 test images
            {byClass ? `: class ${byClass.label} against the rest` : ''}
          </h2>
          {byClass ? (
            <LineChart
              label={`Share of class ${byClass.label}'s ${byClass.targetCount} test images and of the other ${byClass.restCount} at each value of vᵀx`}
              testId="activation-histogram-chart"
              x={byClass.centres}
              series={[
                { label: `class ${byClass.label}`, values: byClass.target, color: '#b2182b', width: 2 },
                { label: 'other classes', values: byClass.rest, color: '#2456c7', width: 2 },
              ]}
              width={620}
              height={220}
              xLabel="vᵀx"
              yLabel="share of the group"
            />
          ) : histogram ? (
            <LineChart
              label="Histogram of the eigenvector's activations over the test set"
              testId="activation-histogram-chart"
              x={histogram.centres}
              series={[{ label: 'images', values: histogram.counts, color: '#2456c7' }]}
              width={620}
              height={220}
              xLabel="vᵀx"
              yLabel="images"
              bars
            />
          ) : (
            <p className="muted">No test set for this model.</p>
          )}
        </section>
      </div>
    </div>
  );
}
