'use client';

import { eigenvectorRow } from '@bilinear-lab/contracts/eigenvector-block';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type {
  ClassExplanation,
  Contribution,
  Explanation,
} from '@/app/api/decompositions/[decompositionId]/explain/route';
import { cssColour, symmetricLimit } from '@/lib/colour-scale';
import { type EigenvectorBlock, fetchEigenvectors } from '@/lib/eigenvectors';
import { number } from '@/lib/format';
import { DrawPad } from './draw-pad';
import { Heatmap, ScaleLegend } from './heatmap';

const TEST_IMAGES = 2000;
const SHOWN_CONTRIBUTIONS = 12;
const PUSHING = 4;

export function ExplainView({
  projectId,
  decompositionId,
  topK,
}: {
  projectId: string;
  decompositionId: string;
  topK: number;
}) {
  const [testIndex, setTestIndex] = useState(0);
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [focus, setFocus] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const explain = useCallback(
    async (body: { testIndex: number } | { pixels: number[] }) => {
      setPending(true);
      setError(null);
      try {
        const response = await fetch(`/api/decompositions/${decompositionId}/explain`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const answer = (await response.json()) as Explanation & { error?: { message: string } };
        if (!response.ok) throw new Error(answer.error?.message ?? `explain answered ${response.status}`);
        setExplanation(answer);
        setFocus(answer.predicted);
      } catch (failure) {
        setError((failure as Error).message);
      } finally {
        setPending(false);
      }
    },
    [decompositionId],
  );

  useEffect(() => {
    void explain({ testIndex });
  }, [explain, testIndex]);

  const focused = explanation?.classes.find((item) => item.index === focus) ?? null;
  const sortedLogits = useMemo(
    () => [...(explanation?.classes ?? [])].sort((a, b) => b.logit - a.logit),
    [explanation],
  );
  const logitLimit = symmetricLimit(sortedLogits.map((item) => item.logit));

  return (
    <div
      className="grid-3"
      style={{ gridTemplateColumns: '300px 300px minmax(0, 1fr)' }}
      data-testid="explain-view"
      data-ready={explanation && !pending ? 'true' : 'false'}
    >
      <section className="panel stack" aria-labelledby="input-heading">
        <h2 id="input-heading" style={{ marginTop: 0 }}>
          Input
        </h2>
        <div className="row">
          <label htmlFor="test-index">Test image</label>
          <input
            id="test-index"
            type="number"
            min={0}
            max={TEST_IMAGES - 1}
            value={testIndex}
            onChange={(event) => {
              const value = Number(event.target.value);
              if (Number.isInteger(value) && value >= 0 && value < TEST_IMAGES) setTestIndex(value);
            }}
            style={{ width: '6rem' }}
          />
        </div>
        <div className="row">
          <button
            type="button"
            className="secondary"
            onClick={() => setTestIndex((value) => Math.max(0, value - 1))}
          >
            Previous
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => setTestIndex((value) => Math.min(TEST_IMAGES - 1, value + 1))}
          >
            Next
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => setTestIndex(Math.floor(Math.random() * TEST_IMAGES))}
          >
            Random
          </button>
        </div>
        <div style={{ height: 230 }}>
          {explanation ? (
            <Heatmap
              values={explanation.input}
              side={28}
              limit={1}
              size={224}
              grayscale
              label="The input image"
            />
          ) : null}
        </div>
        <p className="muted" style={{ minHeight: '1.5em', margin: 0 }}>
          {explanation
            ? explanation.testIndex !== null
              ? `Test image #${explanation.testIndex}, labelled ${explanation.label}`
              : 'Your drawing'
            : ''}
        </p>
        <h3>…or draw one</h3>
        <DrawPad onChange={(pixels) => void explain({ pixels: Array.from(pixels) })} />
      </section>
      <section className="panel" aria-labelledby="logits-heading">
        <h2 id="logits-heading" style={{ marginTop: 0 }}>
          Logits
        </h2>
        <p className="muted" style={{ minHeight: '1.5em' }} aria-live="polite">
          {pending
            ? 'Computing…'
            : explanation
              ? `Predicted: ${explanation.classes[explanation.predicted]?.label ?? explanation.predicted}`
              : ''}
        </p>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="bars" data-testid="logits">
          {sortedLogits.map((item) => (
            <button
              key={item.index}
              type="button"
              className="bar-row link-button"
              style={{ textDecoration: 'none', color: 'inherit', gridTemplateColumns: '3rem 1fr 4rem' }}
              aria-pressed={item.index === focus}
              onClick={() => setFocus(item.index)}
              aria-label={`Class ${item.label}: logit ${number(item.logit)}; show its contributions`}
            >
              <span style={{ fontWeight: item.index === focus ? 700 : 400 }}>{item.label}</span>
              <Bar value={item.logit} limit={logitLimit} />
              <span className="mono">{number(item.logit, 3)}</span>
            </button>
          ))}
        </div>
      </section>
      {focused && explanation ? (
        <Contributions
          projectId={projectId}
          decompositionId={decompositionId}
          topK={topK}
          item={focused}
          dimension={explanation.dimension}
        />
      ) : (
        <section className="panel" aria-busy="true">
          <p className="muted">{error ? '' : 'Loading…'}</p>
        </section>
      )}
    </div>
  );
}

function Bar({ value, limit }: { value: number; limit: number }) {
  const share = limit > 0 ? Math.min(1, Math.abs(value) / limit) : 0;
  return (
    <span className="bar-track" aria-hidden="true">
      <span
        className="bar-fill"
        style={{
          left: value >= 0 ? '50%' : `${50 - share * 50}%`,
          width: `${share * 50}%`,
          background: cssColour(value, limit || 1),
        }}
      />
      <span style={{ position: 'absolute', left: '50%', top: 0, bottom: 0, width: 1, background: '#888' }} />
    </span>
  );
}

function Contributions({
  projectId,
  decompositionId,
  topK,
  item,
  dimension,
}: {
  projectId: string;
  decompositionId: string;
  topK: number;
  item: ClassExplanation;
  dimension: number;
}) {
  const [block, setBlock] = useState<EigenvectorBlock | null>(null);
  useEffect(() => {
    let current = true;
    fetchEigenvectors(decompositionId, item.index, topK).then((loaded) => {
      if (current) setBlock(loaded);
    });
    return () => {
      current = false;
    };
  }, [decompositionId, item.index, topK]);

  const shown = item.contributions.slice(0, SHOWN_CONTRIBUTIONS);
  const limit = symmetricLimit([...shown.map((entry) => entry.contribution), item.linear ?? 0]);
  const up = item.contributions.filter((entry) => entry.contribution > 0).slice(0, PUSHING);
  const down = item.contributions.filter((entry) => entry.contribution < 0).slice(0, PUSHING);
  const rowOf = (entry: Contribution) => (block ? (eigenvectorRow(block, entry.name) ?? -1) : -1);
  const vectorsShown = [...up, ...down].map(rowOf).filter((row) => row >= 0);
  const heatmapLimit = block
    ? Math.max(
        0,
        ...vectorsShown.map((row) =>
          symmetricLimit(block.vectors, row * block.dimension, (row + 1) * block.dimension),
        ),
      )
    : 0;
  const base = `/projects/${projectId}/decompositions/${decompositionId}/eigenvectors/${item.index}`;

  const gallery = (title: string, entries: Contribution[]) => (
    <div>
      <h3>{title}</h3>
      <div
        className="heatmap-grid"
        style={{ gridTemplateColumns: `repeat(${PUSHING}, 96px)`, minHeight: 110 }}
      >
        {entries.map((entry) => {
          const row = rowOf(entry);
          const values =
            block && row >= 0
              ? block.vectors.subarray(row * block.dimension, (row + 1) * block.dimension)
              : null;
          return (
            <Link key={entry.name} className="heatmap-cell" href={`${base}/${entry.name}`}>
              <Heatmap
                values={values}
                side={28}
                limit={heatmapLimit}
                size={84}
                label={`Eigenvector ${entry.name}, contribution ${number(entry.contribution)}`}
              />
              <span>
                {entry.name} · {number(entry.contribution, 3)}
              </span>
            </Link>
          );
        })}
      </div>
    </div>
  );

  return (
    <section className="panel" aria-labelledby="contributions-heading">
      <h2 id="contributions-heading" style={{ marginTop: 0 }}>
        Class {item.label}: contributions λ (vᵀx)²
      </h2>
      <dl className="facts">
        <dt>Logit</dt>
        <dd>{number(item.logit, 5)}</dd>
        <dt>Top-{topK} per sign explain</dt>
        <dd>{number(item.explained, 5)}</dd>
        {item.linear === null ? null : (
          <>
            <dt>Linear term aᵀx (residual block)</dt>
            <dd data-testid="linear-term">{number(item.linear, 5)}</dd>
          </>
        )}
        <dt>Remainder (other eigenpairs)</dt>
        <dd>{number(item.remainder, 5)}</dd>
      </dl>
      <p className="muted">
        The logit is exactly Σ λ (vᵀx)² over all {dimension} eigenpairs
        {item.linear === null ? '' : ' plus the linear term aᵀx'}, with x the decomposed block&apos;s input;
        the remainder is what the eigenpairs beyond the top {topK} of each sign add.
      </p>
      <div className="bars" style={{ marginTop: '0.5rem' }} data-testid="contributions">
        {item.linear === null ? null : (
          <div className="bar-row">
            <span className="mono">linear aᵀx</span>
            <Bar value={item.linear} limit={limit} />
            <span className="mono">{number(item.linear, 3)}</span>
          </div>
        )}
        {shown.map((entry) => (
          <div key={entry.name} className="bar-row">
            <span className="mono">
              {entry.name} (λ {number(entry.eigenvalue, 3)})
            </span>
            <Bar value={entry.contribution} limit={limit} />
            <span className="mono">{number(entry.contribution, 3)}</span>
          </div>
        ))}
      </div>
      <div className="spread">{gallery('Pushing the logit up most', up)}</div>
      {gallery('Pushing it down most', down)}
      <ScaleLegend limit={heatmapLimit} caption="eigenvector pixels" />
    </section>
  );
}
