import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  float64Bytes,
  formatMilliseconds,
  machineLine,
  median,
  renderReport,
  runReference,
  withScratchDirectory,
} from '@bilinear-lab/bench';
import {
  type Decomposition,
  outputTensorPays,
  type SparseAutoencoder,
  seededGaussian,
  writeSafetensors,
} from '@bilinear-lab/core';
import { decomposeInThreads } from '@bilinear-lab/threads';
import type { Command } from 'commander';
import type { CliEnv } from '../env.js';
import { requireNumpy } from '../numpy-reference.js';
import { wholeNumber } from '../options.js';
import { printLine } from '../output.js';
import { progressBar } from '../progress.js';

interface BenchOptions {
  d: number;
  hidden: number;
  directions: number;
  topK: number;
  referenceSample: number;
  threads?: number;
  features?: number;
  python: string;
  json?: boolean;
}

/** Fixed, so every run times the same layer and directions. */
const SEED = 7;

export function registerBenchLmDecompose(bench: Command, env: CliEnv): void {
  bench
    .command('lm-decompose')
    .description(
      'decompose many directions of a seeded ts-medium-shaped MLP layer (top-k per sign) against numpy einsum-built Q + eigh on a sample, extrapolated',
    )
    .option('--d <d>', 'model width', wholeNumber(2), 512)
    .option('--hidden <h>', 'MLP hidden units', wholeNumber(1), 2048)
    .option(
      '--directions <n>',
      'directions decomposed (every token of a 4096 vocabulary by default)',
      wholeNumber(1),
      4096,
    )
    .option('--top-k <k>', 'eigenpairs kept per sign', wholeNumber(1), 8)
    .option(
      '--reference-sample <n>',
      'directions numpy decomposes (its time is extrapolated)',
      wholeNumber(1),
      64,
    )
    .option('--threads <n>', 'decomposition threads (default: one per core)', wholeNumber(1))
    .option(
      '--features <F>',
      "decompose ½(DᵀQD + transpose) over a seeded input SAE's F features instead (numpy: the F×F matrix and its eigh); our time includes the per-SAE setup",
      wholeNumber(1),
    )
    .option('--python <exe>', 'the Python interpreter with numpy', 'python3')
    .option('--json', 'print one JSON line instead of the table')
    .action(async (options: BenchOptions) => {
      const reference = requireNumpy(
        options.python,
        env.inherited,
        'bench lm-decompose times numpy side by side',
      );
      const { d, hidden: h, directions: n } = options;
      const gaussian = seededGaussian(SEED);
      const values = (count: number, scale: number) =>
        Float32Array.from({ length: count }, () => scale * gaussian());
      const w = values(h * d, 1 / Math.sqrt(d));
      const v = values(h * d, 1 / Math.sqrt(d));
      const p = values(d * h, 1 / Math.sqrt(h));
      const u = values(n * d, 1);
      // A one-layer language-model file whose MLP is the seeded layer (a one-token vocabulary: the
      // directions come as vectors, so no token reading is timed).
      const bytes = writeSafetensors([
        { name: 'transformer.wte.weight', dtype: 'F32', shape: [1, d], data: values(d, 1) },
        { name: 'transformer.h.0.mlp.w.weight', dtype: 'F32', shape: [2 * h, d], data: concat(w, v) },
        { name: 'transformer.h.0.mlp.p.weight', dtype: 'F32', shape: [d, h], data: p },
        { name: 'lm_head.weight', dtype: 'F32', shape: [1, d], data: values(d, 1) },
      ]);
      const features = options.features;
      // A seeded TopK SAE on the MLP input: unit decoder columns, encoder Dᵀ.
      const decoder = features === undefined ? null : unitColumns(values(d * features, 1), d, features);
      const inputFeatures: SparseAutoencoder | null =
        decoder === null || features === undefined
          ? null
          : {
              features,
              modelDim: d,
              k: 32,
              layer: 0,
              point: 'mlp-in',
              encoder: { rows: features, cols: d, data: transposed(decoder, d, features) },
              encoderBias: null,
              decoder: { rows: d, cols: features, data: decoder },
              decoderBias: new Float64Array(d),
            };
      const threads = options.threads ?? Math.min(availableParallelism(), n);
      const progress = progressBar('decomposing');
      const started = performance.now();
      let ours: Decomposition;
      try {
        ours = await decomposeInThreads({
          modelBytes: bytes,
          options: {
            layer: 0,
            directions: { kind: 'vectors', vectors: { rows: n, cols: d, data: Float64Array.from(u) } },
            ...(inputFeatures ? { inputFeatures } : {}),
            topK: options.topK,
            exactnessSamples: 0,
          },
          threads,
          onProgress: (done, total, label) => progress.update(done, total, label),
        });
      } finally {
        progress.stop();
      }
      const oursMs = performance.now() - started;

      const sample = Math.min(options.referenceSample, n);
      // numpy's side (python/numpy_lm_decompose.py): Q(u) by einsum, then eigh, timed per direction.
      const numpy = await withScratchDirectory(async (directory) => {
        const path = join(directory, 'layer.f64');
        await writeFile(path, float64Bytes([...w, ...v, ...p, ...u.subarray(0, sample * d)]));
        const args: (string | number)[] = [path, d, h, sample];
        if (decoder && features !== undefined) {
          const decoderPath = join(directory, 'decoder.f64');
          await writeFile(decoderPath, float64Bytes(decoder));
          args.push(features, decoderPath);
        }
        const answer = runReference<{ times_ms: number[]; values: number[][] }>(
          reference,
          'numpy_lm_decompose',
          args,
          'numpy failed',
        );
        return { ms: median(answer.times_ms), values: answer.values };
      });
      const numpyMs = numpy.ms * n;
      // Error of every eigenvalue (the top-k pairs' and the rest of the spectrum) against numpy on the
      // sample, relative to the spectrum's scale.
      let maxRelErr = 0;
      numpy.values.forEach((expected, j) => {
        const output = ours.outputs[j];
        if (!output) return;
        const scale = Math.max(...expected.map(Math.abs));
        output.eigenvalues.forEach((value, rank) => {
          maxRelErr = Math.max(maxRelErr, Math.abs(value - (expected[rank] as number)) / scale);
        });
      });
      const result = {
        directions: n,
        ...(features === undefined ? {} : { features }),
        ours_ms: oursMs,
        numpy_ms: numpyMs,
        ratio: oursMs / numpyMs,
        max_rel_err: maxRelErr,
      };
      printLine(
        renderReport(
          {
            heading: [
              `one MLP layer, d = ${d}, h = ${h}, seed ${SEED}: ${n} directions${features === undefined ? '' : `, DᵀQD over ${features} input-SAE features`}, the ${options.topK} most positive and most negative eigenpairs of each`,
              `ours: ${threads} thread${threads === 1 ? '' : 's'}, Q(u) ${strategyWords(d, h, n, features)} and the top-k solver; numpy ${reference.version}: einsum(optimize=True) Q${features === undefined ? '' : ', DᵀQD'} + eigh on ${sample} directions, median × ${n}`,
            ],
            table: {
              rows: [
                ['', 'total', 'per direction'],
                ['ours', formatMilliseconds(oursMs), formatMilliseconds(oursMs / n)],
                ['numpy (extrapolated)', formatMilliseconds(numpyMs), formatMilliseconds(numpy.ms)],
              ],
              align: ['left', 'right', 'right'],
            },
            notes: [
              `ratio ${result.ratio.toFixed(3)} (ours / numpy; below 1 ours is faster), max eigenvalue error ${maxRelErr.toExponential(2)} of the spectrum's scale`,
            ],
            machine: machineLine([reference]),
            results: [result],
          },
          { json: options.json },
        ),
      );
    });
}

/** How our side builds each Q(u), as decomposeInThreads decides it. */
function strategyWords(d: number, h: number, n: number, features: number | undefined): string {
  const shape = { outputDim: d, hidden: h, inputDim: d };
  const tensor = features === undefined && outputTensorPays(shape, n);
  return tensor
    ? 'through the output tensor (built once, shared by the threads)'
    : 'built directly from the weights';
}

/** A d × F matrix of Gaussian columns scaled to unit length (float64). */
function unitColumns(values: Float32Array, d: number, f: number): Float64Array {
  const out = Float64Array.from(values);
  for (let c = 0; c < f; c++) {
    let norm = 0;
    for (let i = 0; i < d; i++) norm += (out[i * f + c] as number) ** 2;
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < d; i++) out[i * f + c] = (out[i * f + c] as number) * scale;
  }
  return out;
}

function transposed(data: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j] as number;
  return out;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
