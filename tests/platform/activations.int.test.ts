// Activations jobs through HTTP (the built API and a real worker on real Postgres and Redis): the
// PyTorch fixture lm_dev imported as parts, its token directions 4, 99, 500, 767 at layer 1 (and an
// output SAE's features) decomposed, then read over the bundled stories. Every stored context, per-
// token value, histogram and correlation point is checked against a brute-force recomputation here:
// the model file read by the core, the same corpus windows, and plain loops and sorts over the MLP's
// inputs and outputs — nothing of the job's own storage or encoding.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeSparse,
  importModel,
  importSparseAutoencoder,
  type LanguageModel,
  mlpPositions,
  parseSafetensors,
} from '@bilinear-lab/core';
import {
  datasetDocuments,
  loadTokenizer,
  parseLanguageModelDataset,
  type Tokenizer,
  tokenWindows,
  windowContext,
} from '@bilinear-lab/text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type Platform, REPO, startPlatform, waitForJob } from './harness.js';

const LM = join(REPO, '..', 'shared', 'fixtures', 'lm');
const present = existsSync(join(LM, 'lm_dev', 'model.safetensors'));

const DATASET = 'stories:40';
const MAX_TOKENS = 1500;
const TOP = 6;
const EIGENVECTORS = 2;

interface ContextView {
  sequence: number;
  position: number;
  value: number;
  focus: number;
  tokens: number[];
  text?: string[];
  values: number[];
}
interface SeriesView {
  kind: 'output' | 'eigenvector';
  row?: number;
  sign?: 'positive' | 'negative';
  eigenvalue?: number;
  contexts: ContextView[];
}
interface OutputView {
  index: number;
  series: SeriesView[];
  histogram: { min: number; max: number; counts: number[]; zeros: number };
  correlation: { k: number[]; r: (number | null)[]; active: number } | null;
}

/** |a − b| within `rel` of |b| (float32 storage: 1e-6), or 1e-9 absolute near 0. */
function close(a: number, b: number, rel = 2e-6) {
  expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(rel * Math.abs(b) + 1e-9);
}

describe.skipIf(!present)('activations jobs (skipped: ../shared/fixtures/lm is absent here)', () => {
  let platform: Platform;
  let api: ReturnType<typeof client>;
  let projectId: string;
  let modelId: string;
  let model: LanguageModel;
  let tokenizer: Tokenizer;
  // The corpus as the job must read it, and the MLP's input (x) and output at every position.
  let windows: number[][];
  let inputs: Float64Array;
  let outputs: Float64Array;
  let where: { sequence: number; position: number }[];

  beforeAll(async () => {
    platform = await startPlatform();
    api = client(platform);
    const created = await api.post('/api/v1/projects', { name: 'activations' });
    expect(created.status).toBe(201);
    projectId = String(created.body.id);
    const form = new FormData();
    form.append(
      'file',
      new Blob([readFileSync(join(LM, 'lm_dev', 'model.safetensors'))]),
      'model.safetensors',
    );
    form.append('config', new Blob([readFileSync(join(LM, 'lm_dev', 'config.json'))]), 'config.json');
    form.append('tokenizer', new Blob([readFileSync(join(LM, 'tokenizer.json'))]), 'tokenizer.json');
    const imported = await api.post(`/api/v1/projects/${created.body.id}/models/import`, form);
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    modelId = String(imported.body.modelId);

    const file = parseSafetensors(new Uint8Array(readFileSync(join(LM, 'lm_dev', 'model.safetensors'))));
    const read = importModel(file, {
      config: JSON.parse(readFileSync(join(LM, 'lm_dev', 'config.json'), 'utf8')),
      configName: 'config.json',
    });
    if (read.layout !== 'language-model') throw new Error('lm_dev is not a language model');
    model = read;
    tokenizer = loadTokenizer(readFileSync(join(LM, 'tokenizer.json'), 'utf8'), 'tokenizer.json');
    const all = await tokenWindows(
      datasetDocuments(parseLanguageModelDataset(DATASET)),
      tokenizer,
      windowContext(model.config?.context),
      MAX_TOKENS,
    );
    // At most MAX_TOKENS tokens in all: the last window cut.
    windows = [];
    let left = MAX_TOKENS;
    for (const window of all) {
      if (left <= 0) break;
      windows.push(window.slice(0, left));
      left -= window.length;
    }
    const positions = mlpPositions(model, 1, windows);
    ({ inputs, outputs, where } = positions);
    expect(where).toHaveLength(MAX_TOKENS);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  }, 30_000);

  async function decompose(body: Record<string, unknown>): Promise<string> {
    const queued = await api.post(`/api/v1/models/${modelId}/decompositions`, body);
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const job = await waitForJob(api, String(queued.body.jobId), 240_000);
    expect(job.status, `${JSON.stringify(job)}\n${platform.logs()}`).toBe('completed');
    return String(queued.body.decompositionId);
  }

  async function activations(decompositionId: string): Promise<{ id: string; outputs: OutputView[] }> {
    const body = { dataset: DATASET, maxTokens: MAX_TOKENS, top: TOP, eigenvectors: EIGENVECTORS };
    const queued = await api.post(`/api/v1/decompositions/${decompositionId}/activations`, body);
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    // An identical request (key order aside) shares the run.
    const again = await api.post(`/api/v1/decompositions/${decompositionId}/activations`, {
      eigenvectors: EIGENVECTORS,
      top: TOP,
      maxTokens: MAX_TOKENS,
      dataset: DATASET,
    });
    expect(again.body).toMatchObject({ activationsId: queued.body.activationsId, deduplicated: true });
    const job = await waitForJob(api, String(queued.body.jobId), 240_000);
    expect(job.status, `${JSON.stringify(job)}\n${platform.logs()}`).toBe('completed');
    const id = String(queued.body.activationsId);
    const runs = await api.get(`/api/v1/decompositions/${decompositionId}/activations`);
    expect(runs.status).toBe(200);
    expect(runs.body).toEqual([
      expect.objectContaining({ id, status: 'completed', progress: 1, positions: MAX_TOKENS, stored: 2 }),
    ]);
    const page = await api.get(`/api/v1/decompositions/${decompositionId}/activations/${id}?limit=32`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    return { id, outputs: page.body.outputs as OutputView[] };
  }

  /** The brute-force top contexts of per-position values: largest first, or most negative first. */
  function expectContexts(stored: ContextView[], values: Float64Array, mostNegative = false) {
    const order = Array.from({ length: values.length }, (_, t) => t).sort((a, b) =>
      mostNegative
        ? (values[a] as number) - (values[b] as number)
        : (values[b] as number) - (values[a] as number),
    );
    expect(stored).toHaveLength(TOP);
    stored.forEach((context, c) => {
      const t = order[c] as number;
      const { sequence, position } = where[t] as { sequence: number; position: number };
      expect([context.sequence, context.position]).toEqual([sequence, position]);
      close(context.value, values[t] as number);
      const from = Math.max(0, position - 12);
      const to = Math.min((windows[sequence] as number[]).length, position + 5);
      expect(context.focus).toBe(position - from);
      expect(context.tokens).toEqual((windows[sequence] as number[]).slice(from, to));
      expect(context.text).toEqual(context.tokens.map((id) => tokenizer.idToToken(id) ?? `#${id}`));
      const first = t - position;
      context.values.forEach((value, i) => {
        close(value, values[first + from + i] as number);
      });
    });
  }

  function expectHistogram(histogram: OutputView['histogram'], values: Float64Array) {
    const nonZero = Array.from(values).filter((value) => value !== 0);
    expect(histogram.zeros).toBe(values.length - nonZero.length);
    expect(histogram.counts.reduce((sum, n) => sum + n, 0)).toBe(nonZero.length);
    expect(histogram.counts).toHaveLength(32);
    close(histogram.min, Math.min(...nonZero));
    close(histogram.max, Math.max(...nonZero));
    // The top bin holds the largest value, the first the smallest.
    expect(histogram.counts[0]).toBeGreaterThan(0);
    expect(histogram.counts[31]).toBeGreaterThan(0);
  }

  /** λ (vᵀx)² at every position, by loops. */
  function eigenActivation(vector: number[], eigenvalue: number): Float64Array {
    const d = model.modelDim;
    return Float64Array.from(where, (_, t) => {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += (vector[i] as number) * (inputs[t * d + i] as number);
      return eigenvalue * dot * dot;
    });
  }

  function pearson(a: number[], b: number[]): number {
    const n = a.length;
    const ma = a.reduce((s, x) => s + x, 0) / n;
    const mb = b.reduce((s, x) => s + x, 0) / n;
    let cov = 0;
    let va = 0;
    let vb = 0;
    for (let i = 0; i < n; i++) {
      cov += ((a[i] as number) - ma) * ((b[i] as number) - mb);
      va += ((a[i] as number) - ma) ** 2;
      vb += ((b[i] as number) - mb) ** 2;
    }
    return cov / Math.sqrt(va * vb);
  }

  /** Every series and curve of one stored output against the brute force. */
  async function expectOutput(decompositionId: string, output: OutputView, values: Float64Array) {
    expect(output.series.map((series) => [series.kind, series.sign])).toEqual([
      ['output', undefined],
      ['eigenvector', 'positive'],
      ['eigenvector', 'positive'],
      ['eigenvector', 'negative'],
      ['eigenvector', 'negative'],
    ]);
    expectContexts((output.series[0] as SeriesView).contexts, values);
    expectHistogram(output.histogram, values);
    const block = await api.get(
      `/api/v1/decompositions/${decompositionId}/outputs/${output.index}/eigenvectors?space=model`,
    );
    expect(block.status).toBe(200);
    const { vectors, eigenvalues } = block.body as { vectors: number[][]; eigenvalues: number[] };
    expect(vectors).toHaveLength(16);
    for (const series of output.series.slice(1)) {
      const row = series.row as number;
      close(series.eigenvalue as number, eigenvalues[row] as number, 1e-15);
      expect(row).toBe(
        series.sign === 'positive'
          ? output.series.indexOf(series) - 1
          : 8 + output.series.indexOf(series) - 3,
      );
      expectContexts(
        series.contexts,
        eigenActivation(vectors[row] as number[], eigenvalues[row] as number),
        series.sign === 'negative',
      );
    }
    // The correlation over the active positions of Σ_{i ≤ k by |λ|} λ_i (v_iᵀ x)² with the activation.
    const curve = output.correlation;
    if (curve === null) throw new Error(`output ${output.index} has no correlation curve`);
    const active = where.map((_, t) => t).filter((t) => values[t] !== 0);
    expect(curve.active).toBe(active.length);
    const byMagnitude = eigenvalues
      .map((_, i) => i)
      .sort((a, b) => Math.abs(eigenvalues[b] as number) - Math.abs(eigenvalues[a] as number));
    const parts = byMagnitude.map((i) => eigenActivation(vectors[i] as number[], eigenvalues[i] as number));
    expect(curve.k.at(-1)).toBe(16);
    curve.k.forEach((k, j) => {
      const approx = active.map((t) => parts.slice(0, k).reduce((sum, part) => sum + (part[t] as number), 0));
      const r = pearson(
        approx,
        active.map((t) => values[t] as number),
      );
      expect(Math.abs((curve.r[j] as number) - r)).toBeLessThan(1e-7);
    });
  }

  it('stores, per token direction, the contexts, histogram and correlation a brute force computes', async () => {
    const decompositionId = await decompose({ topK: 8, layer: 1, outputs: [99, 500] });
    const { id, outputs: stored } = await activations(decompositionId);
    expect(stored.map((output) => output.index)).toEqual([99, 500]);
    const d = model.modelDim;
    for (const output of stored) {
      const u = model.unembedding.data.subarray(output.index * d, (output.index + 1) * d);
      const values = Float64Array.from(where, (_, t) => {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += (u[i] as number) * (outputs[t * d + i] as number);
        return dot;
      });
      await expectOutput(decompositionId, output, values);
      // The MLP output along u is its whole spectrum: the 16 stored of 48 pairs explain some of it.
      expect(output.correlation?.r.at(-1) as number).toBeGreaterThan(output.correlation?.r[0] as number);
    }
    // One output by index; a page's first view stays small.
    const one = await api.get(`/api/v1/decompositions/${decompositionId}/activations/${id}?outputs=500`);
    expect(one.status).toBe(200);
    expect((one.body.outputs as OutputView[]).map((output) => output.index)).toEqual([500]);
    const first = await api.raw(`/api/v1/decompositions/${decompositionId}/activations/${id}`);
    expect((await first.text()).length).toBeLessThan(1_000_000);
    const outside = await api.get(`/api/v1/decompositions/${decompositionId}/activations/${id}?outputs=4`);
    expect(outside.status).toBe(400);
    expect(JSON.stringify(outside.body)).toMatch(/4 not among decomposition/);
    // At the largest request (50 contexts, 8 eigenvectors per sign) a default page holds fewer outputs
    // and stays under 1 MB.
    const largest = await api.post(`/api/v1/decompositions/${decompositionId}/activations`, {
      dataset: DATASET,
      maxTokens: MAX_TOKENS,
      top: 50,
      eigenvectors: 8,
    });
    expect(largest.status, JSON.stringify(largest.body)).toBe(202);
    expect((await waitForJob(api, String(largest.body.jobId), 240_000)).status).toBe('completed');
    const large = await api.raw(
      `/api/v1/decompositions/${decompositionId}/activations/${largest.body.activationsId}`,
    );
    const text = await large.text();
    expect(text.length).toBeLessThan(1_000_000);
    const body = JSON.parse(text) as { outputs: OutputView[]; page: { limit: number; total: number } };
    expect(body.page).toEqual({ offset: 0, limit: 1, total: 2 });
    expect(body.outputs[0]?.series).toHaveLength(17);
    expect(body.outputs[0]?.series[0]?.contexts).toHaveLength(50);
  }, 300_000);

  it("stores an output SAE feature's TopK code contexts (its activation) and its eigenvectors'", async () => {
    const form = new FormData();
    form.append(
      'file',
      new Blob([readFileSync(join(LM, 'sae_l1_mlp_out', 'model.safetensors'))]),
      'model.safetensors',
    );
    form.append('config', new Blob([readFileSync(join(LM, 'sae_l1_mlp_out', 'config.json'))]), 'config.json');
    const attached = await api.post(`/api/v1/models/${modelId}/saes/import`, form);
    expect(attached.status, JSON.stringify(attached.body)).toBe(201);
    const sae = importSparseAutoencoder(
      parseSafetensors(new Uint8Array(readFileSync(join(LM, 'sae_l1_mlp_out', 'model.safetensors')))),
      { config: JSON.parse(readFileSync(join(LM, 'sae_l1_mlp_out', 'config.json'), 'utf8')) },
    );
    const d = model.modelDim;
    const codes = where.map((_, t) => encodeSparse(sae, outputs.subarray(t * d, (t + 1) * d)));
    // The two features most often active on this text, so each has contexts and a curve.
    const activeCount = (f: number) => codes.filter((code) => code[f] !== 0).length;
    const features = Array.from({ length: sae.features }, (_, f) => f)
      .sort((a, b) => activeCount(b) - activeCount(a))
      .slice(0, 2)
      .sort((a, b) => a - b);
    expect(activeCount(features[0] as number)).toBeGreaterThan(10 + TOP);
    const decompositionId = await decompose({ topK: 8, saeOut: attached.body.id, features });
    const { outputs: stored } = await activations(decompositionId);
    expect(stored.map((output) => output.index)).toEqual(features);
    for (const output of stored) {
      const values = Float64Array.from(codes, (code) => code[output.index] as number);
      await expectOutput(decompositionId, output, values);
    }
  }, 300_000);

  it("refuses an image classifier's decomposition and one over an input SAE's features (422)", async () => {
    const form = new FormData();
    form.append(
      'file',
      new Blob([readFileSync(join(REPO, 'examples', 'mnist-d64.safetensors'))]),
      'mnist.safetensors',
    );
    const classifier = await api.post(`/api/v1/projects/${projectId}/models/import`, form);
    expect(classifier.status, JSON.stringify(classifier.body)).toBe(201);
    const queued = await api.post(`/api/v1/models/${classifier.body.modelId}/decompositions`, {
      topK: 4,
      outputs: [3],
    });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    expect((await waitForJob(api, String(queued.body.jobId), 240_000)).status).toBe('completed');
    const image = await api.post(`/api/v1/decompositions/${queued.body.decompositionId}/activations`, {});
    expect(image.status, JSON.stringify(image.body)).toBe(422);
    expect((image.body.error as { code: string }).code).toBe('not-a-language-model');

    const attach = async (folder: string) => {
      const sae = new FormData();
      sae.append(
        'file',
        new Blob([readFileSync(join(LM, folder, 'model.safetensors'))]),
        'model.safetensors',
      );
      sae.append('config', new Blob([readFileSync(join(LM, folder, 'config.json'))]), 'config.json');
      const attached = await api.post(`/api/v1/models/${modelId}/saes/import`, sae);
      expect(attached.status, JSON.stringify(attached.body)).toBe(201);
      return String(attached.body.id);
    };
    const decompositionId = await decompose({
      topK: 4,
      saeOut: await attach('sae_l1_mlp_out'),
      saeIn: await attach('sae_l1_mlp_in'),
      features: [5],
    });
    const reduced = await api.post(`/api/v1/decompositions/${decompositionId}/activations`, {});
    expect(reduced.status, JSON.stringify(reduced.body)).toBe(422);
    expect((reduced.body.error as { code: string }).code).toBe('not-applicable');
  }, 300_000);

  it('refuses a decomposition not completed (409), a bad request (400), an unknown one (404)', async () => {
    const queued = await api.post(`/api/v1/models/${modelId}/decompositions`, {
      topK: 8,
      layer: 0,
      allTokens: true,
    });
    expect(queued.status).toBe(202);
    const decompositionId = String(queued.body.decompositionId);
    const early = await api.post(`/api/v1/decompositions/${decompositionId}/activations`, {});
    expect(early.status, JSON.stringify(early.body)).toBe(409);
    expect((early.body.error as { code: string }).code).toBe('decomposition-not-ready');
    for (const [body, field] of [
      [{ dataset: 'somewhere.txt' }, 'dataset'],
      [{ maxTokens: 1 }, 'maxTokens'],
      [{ maxTokens: 10_000_000 }, 'maxTokens'],
      [{ top: 0 }, 'top'],
      [{ eigenvectors: -1 }, 'eigenvectors'],
      [{ eigenvectors: 9 }, 'eigenvectors'],
      [{ top: 51 }, 'top'],
      [{ colour: 'red' }, 'colour'],
    ] as const) {
      const refused = await api.post(`/api/v1/decompositions/${decompositionId}/activations`, body);
      expect(refused.status, JSON.stringify(refused.body)).toBe(400);
      expect(JSON.stringify(refused.body)).toContain(field);
    }
    const unknown = await api.post(`/api/v1/decompositions/${crypto.randomUUID()}/activations`, {});
    expect(unknown.status).toBe(404);
    const job = await waitForJob(api, String(queued.body.jobId), 240_000);
    expect(job.status).toBe('completed');
  }, 300_000);
});
