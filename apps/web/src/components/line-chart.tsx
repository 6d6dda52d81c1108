'use client';

// Line charts with uPlot: ≈ 50 KB, draws to canvas, and `setData` on a live series costs well under a
// millisecond, which is what live training curves (a point per optimiser step) need. Heavier libraries
// (ECharts ≈ 1 MB, Plot's SVG re-render per update) would cost the < 1.5 s budget of the decomposition page.
import { useEffect, useRef } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Draw markers only (sparse series such as per-epoch accuracy). */
  pointsOnly?: boolean;
  dashed?: boolean;
  width?: number;
  /** Which y scale: 'y' (left, default) or 'y2' (right). */
  scale?: 'y' | 'y2';
}

export interface LineChartProps {
  label: string;
  x: number[];
  series: ChartSeries[];
  width: number;
  height: number;
  xLabel?: string;
  yLabel?: string;
  y2Label?: string;
  yLog?: boolean;
  bars?: boolean;
  yRange?: [number, number];
  testId?: string;
}

const LEGEND_HEIGHT = 34;

/**
 * Tick labels that stay distinct for small values (learning rates, eigenvalues) instead of rounding to 0.
 * On log scales uPlot passes null for the ticks it leaves unlabelled.
 */
function tickLabels(_self: uPlot, ticks: (number | null)[]): string[] {
  return ticks.map((tick) => {
    if (tick === null || !Number.isFinite(tick)) return '';
    const magnitude = Math.abs(tick);
    if (tick === 0) return '0';
    if (magnitude < 1e-3 || magnitude >= 1e5) return tick.toExponential(1);
    return Number(tick.toPrecision(3)).toString();
  });
}

function alignedData(props: LineChartProps): uPlot.AlignedData {
  return [props.x, ...props.series.map((series) => series.values)] as uPlot.AlignedData;
}

export function LineChart(props: LineChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;
  // The chart is rebuilt only when its shape changes; new points go through setData.
  const shapeKey = JSON.stringify([
    props.series.map((series) => [series.label, series.color, series.pointsOnly, series.scale]),
    props.yLog,
    props.bars,
    props.width,
    props.height,
    props.yRange,
  ]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt only when the chart's shape (shapeKey) changes
  useEffect(() => {
    let cancelled = false;
    let created: uPlot | null = null;
    void import('uplot').then(({ default: UPlot }) => {
      if (cancelled || !host.current) return;
      const current = latest.current;
      const hasY2 = current.series.some((series) => series.scale === 'y2');
      const options: uPlot.Options = {
        width: current.width,
        height: current.height,
        legend: { show: true },
        cursor: { drag: { x: true, y: false } },
        scales: {
          x: { time: false },
          y: current.yLog
            ? { distr: 3, log: 10 }
            : current.yRange
              ? { range: current.yRange }
              : { auto: true },
          ...(hasY2 ? { y2: { auto: true } } : {}),
        },
        axes: [
          { label: current.xLabel, size: 36 },
          { label: current.yLabel, size: 60, scale: 'y', values: tickLabels },
          ...(hasY2
            ? [
                {
                  label: current.y2Label,
                  side: 1 as const,
                  scale: 'y2',
                  grid: { show: false },
                  size: 60,
                  values: tickLabels,
                },
              ]
            : []),
        ],
        series: [
          { label: current.xLabel ?? 'x' },
          ...current.series.map(
            (series): uPlot.Series => ({
              label: series.label,
              stroke: series.color,
              width: series.pointsOnly ? 0 : (series.width ?? 1.5),
              dash: series.dashed ? [6, 4] : undefined,
              scale: series.scale ?? 'y',
              spanGaps: true,
              fill: current.bars ? `${series.color}99` : undefined,
              paths: current.bars ? UPlot.paths.bars?.({ size: [0.8, 40] }) : undefined,
              points: series.pointsOnly ? { show: true, size: 7, fill: series.color } : { show: false },
              value: (_self, value) => (value == null ? '—' : Number(value.toPrecision(4)).toString()),
            }),
          ),
        ],
      };
      created = new UPlot(options, alignedData(current), host.current);
      plot.current = created;
    });
    return () => {
      cancelled = true;
      created?.destroy();
      plot.current = null;
    };
  }, [shapeKey]);

  useEffect(() => {
    plot.current?.setData(alignedData(props));
  });

  return (
    <figure className="chart-box" style={{ margin: 0 }}>
      <div
        ref={host}
        role="img"
        aria-label={props.label}
        data-testid={props.testId}
        data-points={props.x.length}
        style={{ width: props.width, height: props.height + LEGEND_HEIGHT, overflow: 'hidden' }}
      />
    </figure>
  );
}
