#!/usr/bin/env node
// Benchmark: decompose every class of a d = 512 MNIST-layout model with the `bilinear` CLI
// (spectra + top-32 vectors per class, mapped to pixels, exactness check included) and compare the
// time it reports for the decomposition, and the whole process's wall time, with numpy's 10 `eigh`
// calls alone on the same interaction matrices, in the same run. Also reports the CLI process's peak
// memory (max RSS, from /usr/bin/time).
//
//   node bench/decompose-mnist.mjs [--d 512] [--repeats 3] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomMnistModelFile } from '@bilinear-lab/core/testing';

const { values: flags } = parseArgs({
  options: {
    d: { type: 'string', default: '512' },
    repeats: { type: 'string', default: '3' },
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

  const runs = [];
  for (let r = 0; r < repeats; r++) {
    const out = join(dir, 'result.json');
    const started = performance.now();
    const child = spawnSync(
      '/usr/bin/time',
      ['-f', '%M', process.execPath, cli, 'decompose', modelPath, '--top-k', '32', '--out', out],
      {
        encoding: 'utf8',
      },
    );
    const ms = performance.now() - started;
    if (child.status !== 0) throw new Error(`bilinear decompose failed (${child.status}):\n${child.stderr}`);
    const maxRssKb = Number(child.stderr.trim().split('\n').at(-1));
    const decompositionMs = JSON.parse(readFileSync(out, 'utf8')).timing.seconds * 1000;
    runs.push({ ms, decompositionMs, maxRssMb: maxRssKb / 1024 });
  }
  const processMs = median(runs.map((run) => run.ms));
  const oursMs = median(runs.map((run) => run.decompositionMs));
  const maxRssMb = Math.max(...runs.map((run) => run.maxRssMb));

  // numpy: the same Q(e_c) = ½ (Wᵀ diag(head_c) V + Vᵀ diag(head_c) W), float64; only eigh is timed.
  const script = `
import json, struct, sys, time
import numpy as np
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
def tensor(name):
    info = header[name]; a, b = info['data_offsets']
    return np.frombuffer(raw[8 + n + a:8 + n + b], dtype='<f4').reshape(info['shape']).astype(np.float64)
blocks, head = tensor('blocks.0.weight'), tensor('head.weight')
h = blocks.shape[0] // 2
W, V = blocks[:h], blocks[h:]
Qs = []
for c in range(head.shape[0]):
    G = W.T @ (head[c][:, None] * V)
    Qs.append(0.5 * (G + G.T))
for Q in Qs[:2]: np.linalg.eigh(Q)
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    for Q in Qs: np.linalg.eigh(Q)
    times.append((time.perf_counter() - t) * 1000)
print(json.dumps(sorted(times)[len(times) // 2]))
`;
  const env = { ...process.env };
  // This machine pins OpenBLAS to an old kernel for safety elsewhere; compare against numpy at full speed.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const numpyMs = Number(
    execFileSync('python3', ['-c', script, modelPath, String(Math.max(3, repeats))], {
      env,
      encoding: 'utf8',
    }),
  );

  const result = {
    d,
    classes: 10,
    top_k: 32,
    ours_ms: round(oursMs),
    numpy_eigh_ms: round(numpyMs),
    ratio: round(oursMs / numpyMs, 3),
    process_ms: round(processMs),
    process_ratio: round(processMs / numpyMs, 3),
    max_rss_mb: round(maxRssMb),
  };
  if (flags.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `decompose all 10 classes, d = ${d}, top-32 vectors each, mapped to pixels (median of ${repeats} CLI runs)`,
    );
    console.log(`  bilinear decompose, the decomposition (its own timing): ${result.ours_ms} ms`);
    console.log(
      `  bilinear decompose, the whole CLI process (start, read, decompose, write 17 MB of JSON): ${result.process_ms} ms, peak RSS ${result.max_rss_mb} MB`,
    );
    console.log(`  numpy: 10 × eigh alone:                  ${result.numpy_eigh_ms} ms`);
    console.log(
      `  ratio: ${result.ratio} decomposition, ${result.process_ratio} whole process (target ≤ 1.5); peak RSS target < 500 MB`,
    );
    console.log(JSON.stringify(result));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function round(x, digits = 1) {
  return Number(x.toFixed(digits));
}
