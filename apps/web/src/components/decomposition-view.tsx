'use client';

import { eigenvectorName } from '@bilinear-lab/contracts/eigenvector-block';
import Link from 'next/link';
import { useEffect, useMemo, useRef, useState } from 'react';
import { symmetricLimit } from '@/lib/colour-scale';
import { type EigenvectorBlock, fetchEigenvectors } from '@/lib/eigenvectors';
import { number } from '@/lib/format';
import type { SpectrumSummary } from '@/lib/types';
import { ClassTabs } from './class-tabs';
import { Heatmap, type HeatmapHover, ScaleLegend } from './heatmap';
import { SpectrumChart } from './spectrum-chart';

/** One output's spectrum as the API serves it: `eigenvalues` most positive first. */
export type OutputSpectrum = Pick<
  SpectrumSummary,
  'index' | 'label' | 'eigenvalues' | 'effectiveRank' | 'exactness'
> & {
  /** exactness within the core's tolerance (decided on the server). */
  exact: boolean;
  /** ‖a‖ of a residual block's linear term aᵀx; null for a pure quadratic form. */
  linearNorm: number | null;
};

const CLASS_VIEW_K = 16;
const OVERVIEW_K = 6;
const IMAGE_SIDE = 28;

type Sign = 'positive' | 'negative';

/** The block's first `count` rows of one sign: the positives lead the block, the negatives follow. */
function rowsOf(block: EigenvectorBlock, sign: Sign, count: number): number[] {
  const [first, present] =
    sign === 'positive' ? [0, block.positiveCount] : [block.positiveCount, block.negativeCount];
  return Array.from({ length: Math.min(count, present) }, (_, i) => first + i);
}

/**
 * The decomposition page's interactive part: class tabs, the selected class's spectrum and its top-k
 * positive and negative eigenvectors as heatmaps on one shared scale, and an overview of every class.
 */
export function DecompositionView({
  projectId,
  decompositionId,
  topK,
  outputs,
  initialClass,
}: {
  projectId: string;
  decompositionId: string;
  topK: number;
  outputs: OutputSpectrum[];
  initialClass: number;
}) {
  const [selected, setSelected] = useState(initialClass);
  const [block, setBlock] = useState<EigenvectorBlock | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hover, setHover] = useState<{ name: string; eigenvalue: number; at: HeatmapHover } | null>(null);
  const [classViewReady, setClassViewReady] = useState(false);
  const firstDraw = useRef(true);
  const k = Math.min(topK, CLASS_VIEW_K);
  const output = outputs.find((candidate) => candidate.index === selected) ?? outputs[0];
  const isImage = block?.dimension === IMAGE_SIDE * IMAGE_SIDE;

  useEffect(() => {
    let current = true;
    setError(null);
    fetchEigenvectors(decompositionId, selected, k)
      .then((loaded) => {
        if (current) setBlock(loaded);
      })
      .catch((failure: Error) => {
        if (current) setError(failure.message);
      });
    const url = new URL(window.location.href);
    url.searchParams.set('class', String(selected));
    window.history.replaceState(window.history.state, '', url);
    return () => {
      current = false;
    };
  }, [decompositionId, selected, k]);

  // The page counts as interactive once the first class's heatmaps are on screen (after hydration).
  useEffect(() => {
    if (!block || !firstDraw.current) return;
    firstDraw.current = false;
    requestAnimationFrame(() => {
      performance.mark('decomposition-interactive');
      setClassViewReady(true);
    });
  }, [block]);

  const limit = useMemo(() => (block ? symmetricLimit(block.vectors) : 0), [block]);
  const positiveRows = block ? rowsOf(block, 'positive', block.positiveCount) : [];
  const negativeRows = block ? rowsOf(block, 'negative', block.negativeCount) : [];
  const base = `/projects/${projectId}/decompositions/${decompositionId}`;

  const heatmapRow = (title: string, which: number[]) => (
    <div>
      <h3>{title}</h3>
      <div className="heatmap-grid">
        {(which.length > 0 ? which : Array.from({ length: k }, (_, i) => -1 - i)).map((row) => {
          if (!block || row < 0) {
            return (
              <div key={row} className="heatmap-cell" style={{ width: 84, height: 102 }} aria-hidden="true" />
            );
          }
          const name = eigenvectorName(block, row);
          const eigenvalue = block.eigenvalues[row] ?? Number.NaN;
          const values = block.vectors.subarray(row * block.dimension, (row + 1) * block.dimension);
          return (
            <Link
              key={row}
              className="heatmap-cell"
              href={`${base}/eigenvectors/${selected}/${name}`}
              title={`Open ${name}`}
            >
              {isImage ? (
                <Heatmap
                  values={values}
                  side={IMAGE_SIDE}
                  limit={limit}
                  size={84}
                  label={`Class ${output?.label} eigenvector ${name}, λ = ${number(eigenvalue)}`}
                  onHover={(at) => setHover(at ? { name, eigenvalue, at } : null)}
                />
              ) : (
                <span style={{ width: 84, height: 84 }}>{block.dimension}-dim</span>
              )}
              <span>
                {name} · λ {number(eigenvalue, 3)}
              </span>
            </Link>
          );
        })}
      </div>
    </div>
  );

  return (
    <div data-testid="decomposition-view" data-ready={classViewReady ? 'true' : 'false'}>
      <div className="spread">
        <ClassTabs outputs={outputs} selected={selected} onSelect={setSelected} controls="class-panel" />
        <div className="row">
          <Link className="button secondary" href={`${base}/explain`}>
            Explain an input
          </Link>
          <Link className="button secondary" href={`${base}/analyses`}>
            Analyses
          </Link>
        </div>
      </div>
      <section
        id="class-panel"
        role="tabpanel"
        aria-label={`Class ${output?.label}`}
        className="grid-2"
        style={{ marginTop: '1rem', gridTemplateColumns: '470px minmax(0, 1fr)' }}
      >
        <div className="panel">
          <h2 style={{ marginTop: 0 }}>Spectrum of class {output?.label}</h2>
          <dl className="facts" style={{ marginBottom: '0.5rem' }}>
            <dt>Eigenvalues</dt>
            <dd>
              {output?.eigenvalues.length} ({output?.eigenvalues.filter((value) => value > 0).length}{' '}
              positive)
            </dd>
            <dt>Largest λ</dt>
            <dd data-testid="largest-eigenvalue">{number(output?.eigenvalues[0], 3)}</dd>
            <dt>Effective rank</dt>
            <dd data-testid="effective-rank">{number(output?.effectiveRank, 4)}</dd>
            <dt>Exactness</dt>
            <dd
              data-testid="exactness"
              title="Worst relative error of the logit rebuilt from every eigenpair against the model file's own forward pass, on seeded inputs"
              style={
                output && !output.exact ? { color: 'var(--negative, #b91c1c)', fontWeight: 700 } : undefined
              }
            >
              {number(output?.exactness ?? null)}
              {output && !output.exact ? ' — FAILED: these eigenpairs do not rebuild the model' : ''}
            </dd>
            {output?.linearNorm == null ? null : (
              <>
                <dt>Linear term</dt>
                <dd title="A residual block's logit is Σ λ (vᵀx)² + aᵀx; a is linear_model in the API">
                  + aᵀx, ‖a‖ = {number(output.linearNorm, 4)}
                </dd>
              </>
            )}
          </dl>
          {output ? (
            <SpectrumChart
              eigenvalues={output.eigenvalues}
              width={430}
              height={260}
              label={`Eigenvalues of class ${output.label}, most positive first`}
            />
          ) : null}
        </div>
        <div className="panel" aria-busy={!block}>
          <div className="spread">
            <h2 style={{ marginTop: 0 }}>Top {k} eigenvectors per sign</h2>
            <ScaleLegend limit={limit} caption="shared by this class's vectors" />
          </div>
          <p className="hover-readout" aria-live="off">
            {hover
              ? `${hover.name} (λ ${number(hover.eigenvalue)}): pixel row ${hover.at.row}, column ${hover.at.column} = ${number(hover.at.value)}`
              : error
                ? ''
                : 'Hover a heatmap to read its values; click one to open it.'}
          </p>
          {error ? (
            <p className="error" role="alert">
              Could not load the eigenvectors: {error}
            </p>
          ) : null}
          {heatmapRow('Positive (push the logit up)', positiveRows)}
          {heatmapRow('Negative (push the logit down)', negativeRows)}
        </div>
      </section>
      <OverviewGrid
        decompositionId={decompositionId}
        outputs={outputs}
        topK={topK}
        start={classViewReady}
        onSelect={setSelected}
      />
    </div>
  );
}

/** Every class's top eigenvectors at a glance, on one scale; loads after the class view is up. */
function OverviewGrid({
  decompositionId,
  outputs,
  topK,
  start,
  onSelect,
}: {
  decompositionId: string;
  outputs: OutputSpectrum[];
  topK: number;
  start: boolean;
  onSelect: (index: number) => void;
}) {
  const k = Math.min(topK, OVERVIEW_K);
  const ranks = Array.from({ length: k }, (_, i) => i + 1);
  const [blocks, setBlocks] = useState<Map<number, EigenvectorBlock>>(new Map());
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!start) return;
    let current = true;
    Promise.all(
      outputs.map((output) =>
        fetchEigenvectors(decompositionId, output.index, k).then((block) => [output.index, block] as const),
      ),
    )
      .then((loaded) => {
        if (current) setBlocks(new Map(loaded));
      })
      .catch((failure: Error) => {
        if (current) setError(failure.message);
      });
    return () => {
      current = false;
    };
  }, [start, decompositionId, outputs, k]);

  const limit = useMemo(() => {
    let value = 0;
    for (const block of blocks.values()) value = Math.max(value, symmetricLimit(block.vectors));
    return value;
  }, [blocks]);

  return (
    <section className="panel" style={{ marginTop: '1rem' }} aria-labelledby="overview-heading">
      <div className="spread">
        <h2 id="overview-heading" style={{ marginTop: 0 }}>
          Overview: top {k} positive | top {k} negative of every class
        </h2>
        <ScaleLegend limit={limit} caption="shared by the whole grid" />
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="overview-grid" data-testid="overview-grid">
        {outputs.map((output) => {
          const block = blocks.get(output.index);
          // Ranks 1…k of each sign, most positive (most negative) first; empty where the block has fewer.
          const cells = (sign: Sign) => {
            const rows = block ? rowsOf(block, sign, k) : [];
            return ranks.map((rank) => {
              const row = rows[rank - 1];
              const values =
                block && row !== undefined && block.dimension === IMAGE_SIDE * IMAGE_SIDE
                  ? block.vectors.subarray(row * block.dimension, (row + 1) * block.dimension)
                  : null;
              return (
                <Heatmap
                  key={`${sign}${rank}`}
                  values={values}
                  side={IMAGE_SIDE}
                  limit={limit}
                  size={64}
                  label={`Class ${output.label}, ${sign} eigenvector ${rank}`}
                />
              );
            });
          };
          return (
            <div key={output.index} style={{ display: 'contents' }}>
              <button
                type="button"
                className="secondary"
                onClick={() => onSelect(output.index)}
                aria-label={`Show class ${output.label}`}
              >
                {output.label}
              </button>
              {cells('positive')}
              <span />
              {cells('negative')}
            </div>
          );
        })}
      </div>
    </section>
  );
}
