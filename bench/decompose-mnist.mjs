#!/usr/bin/env node
// Benchmark: decompose every class of a d = 512 MNIST-layout model with the `bilinear` CLI
// (spectra + top-32 vectors per class, mapped to pixels, exactness check included) and compare the
// time it reports for the decomposition, and the whole process's wall time, with numpy's 10 `eigh`
// calls alone on the same interaction matrices (packages/bench/python/numpy_mnist_eigh.py), in the
// same run, on the benchmark harness (@bilinear-lab/bench). Also reports the CLI process's peak
// memory (max RSS, from /usr/bin/time). Without numpy the reference columns are absent (null).
//
//   node bench/decompose-mnist.mjs [--d 512] [--repeats 3] [--python python3] [--json]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  describeReference,
  formatMilliseconds,
  formatRatio,
  machineLine,
  median,
  probePython,
  renderReport,
  roundTo,
  runReference,
  timeRepeats,
  unsteadiness,
  unsteadyWarning,
} from '@bilinear-lab/bench';
import { randomMnistModelFile } from '@bilinear-lab/core/testing';

const { values: flags } = parseArgs({
  options: {
    d: { type: 'string', default: '512' },
    repeats: { type: 'string', default: '3' },
    python: { type: 'string', default: 'python3' },
    json: { type: 'boolean' },
  },
});
const d = Number(flags.d);
const repeats = Number(flags.repeats);
const cli = fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bilinear-bench-'));

try {
  // A seeded model in the reference layout; the work does not depend on the weights' values.
  const modelPath = join(dir, `mnist-d${d}.safetensors`);
  writeFileSync(modelPath, randomMnistModelFile(d));

  // Every run is a fresh process, so there is nothing to warm up but the page cache.
  const out = join(dir, 'result.json');
  const ours = timeRepeats(
    () => {
      const child = spawnSync(
        '/usr/bin/time',
        ['-f', '%M', process.execPath, cli, 'decompose', modelPath, '--top-k', '32', '--out', out],
        { encoding: 'utf8' },
      );
      if (child.status !== 0)
        throw new Error(`bilinear decompose failed (${child.status}):\n${child.stderr}`);
      return {
        decompositionMs: JSON.parse(readFileSync(out, 'utf8')).timing.seconds * 1000,
        maxRssMb: Number(child.stderr.trim().split('\n').at(-1)) / 1024,
      };
    },
    { repeats, warmups: 0 },
  );
  const processMs = ours.ms;
  const decompositionTimes = ours.results.map((run) => run.decompositionMs);
  const oursMs = median(decompositionTimes);
  const maxRssMb = Math.max(...ours.results.map((run) => run.maxRssMb));

  // numpy: the same Q(e_c), float64; only eigh is timed.
  const numpy = probePython(flags.python, 'numpy', process.env);
  const numpyTimes = numpy.available
    ? runReference(numpy, 'numpy_mnist_eigh', [modelPath, Math.max(3, repeats)], 'numpy eigh failed').times_ms
    : null;
  const numpyMs = numpyTimes === null ? null : median(numpyTimes);
  const warning = unsteadyWarning(
    [
      unsteadiness('the decomposition', decompositionTimes),
      unsteadiness('the CLI process', ours.timesMs),
      numpyTimes && unsteadiness('numpy', numpyTimes),
    ],
    'ratios',
  );
  if (warning !== null) process.stderr.write(`bench: ${warning}\n`);

  const ratio = (ms) => (numpyMs === null ? null : ms / numpyMs);
  const result = {
    d,
    classes: 10,
    top_k: 32,
    ours_ms: roundTo(oursMs, 1),
    numpy_eigh_ms: numpyMs === null ? null : roundTo(numpyMs, 1),
    ratio: numpyMs === null ? null : roundTo(oursMs / numpyMs, 3),
    process_ms: roundTo(processMs, 1),
    process_ratio: numpyMs === null ? null : roundTo(processMs / numpyMs, 3),
    max_rss_mb: roundTo(maxRssMb, 1),
  };
  console.log(
    renderReport(
      {
        heading: [
          `decompose all 10 classes, d = ${d}, top-32 vectors each, mapped to pixels (median of ${repeats} CLI runs)`,
        ],
        table: {
          rows: [
            ['', 'time', 'ratio to numpy', 'peak RSS'],
            [
              'bilinear decompose: the decomposition (its own timing)',
              formatMilliseconds(oursMs),
              formatRatio(ratio(oursMs)),
              '',
            ],
            [
              'bilinear decompose: the whole process (start, read, decompose, write JSON)',
              formatMilliseconds(processMs),
              formatRatio(ratio(processMs)),
              `${result.max_rss_mb} MB`,
            ],
            [
              'numpy: 10 × eigh alone',
              numpyMs === null ? '—' : formatMilliseconds(numpyMs),
              formatRatio(ratio(numpyMs ?? 0)),
              '',
            ],
          ],
          align: ['left', 'right', 'right', 'right'],
        },
        notes: [
          'targets: decomposition ratio ≤ 1.5, peak RSS < 500 MB',
          `reference: ${describeReference(numpy)}, median of ${Math.max(3, repeats)} runs after 2 warm-up calls`,
        ],
        machine: machineLine([numpy]),
        results: [result],
      },
      { json: flags.json },
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
