// A language model on the platform, through HTTP only (the built API and a real worker on real
// Postgres and Redis): import the HF folder PyTorch wrote as parts, decompose token directions at
// layer 1 → PyTorch's float64 eigenvalues; every token of the vocabulary → stored once each and read
// back a page at a time; eigenvector readings are the largest entries of W_E v.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTensor, parseSafetensors } from '@bilinear-lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type Platform, REPO, startPlatform, waitForJob } from './harness.js';

const LM = join(REPO, '..', 'shared', 'fixtures', 'lm');
const present = existsSync(join(LM, 'lm_dev', 'model.safetensors'));

interface Reference {
  layer: number;
  token_directions: Record<string, { top8_desc: number[]; bottom8_asc: number[] }>;
}

interface Output {
  index: number;
  label: string;
  eigenvalues: number[];
  exactness: number | null;
}

/** The 8 most positive and 8 most negative of a spectrum (most positive first) equal PyTorch's to 1e-5. */
function expectReferenceEnds(
  eigenvalues: number[],
  expected: { top8_desc: number[]; bottom8_asc: number[] },
) {
  const top = eigenvalues.slice(0, 8);
  const bottom = eigenvalues.slice(-8).reverse();
  expected.top8_desc.forEach((value, i) => {
    expect(Math.abs((top[i] as number) - value)).toBeLessThan(1e-5 * Math.abs(value));
  });
  expected.bottom8_asc.forEach((value, i) => {
    expect(Math.abs((bottom[i] as number) - value)).toBeLessThan(1e-5 * Math.abs(value));
  });
}

describe.skipIf(!present)(
  'a language model on the platform (skipped: ../shared/fixtures/lm is absent here)',
  () => {
    let platform: Platform;
    let api: ReturnType<typeof client>;
    let modelId: string;

    beforeAll(async () => {
      platform = await startPlatform();
      api = client(platform);
      const created = await api.post('/api/v1/projects', { name: 'language model' });
      expect(created.status).toBe(201);
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
      expect(imported.body.config).toMatchObject({ kind: 'language-model', vocabSize: 768, modelDim: 48 });
      modelId = String(imported.body.modelId);
    }, 60_000);

    afterAll(async () => {
      await platform?.stop();
    }, 30_000);

    it("looks tokens up by text with the model's own tokenizer, as HF tokenizers encodes them", async () => {
      const reference = JSON.parse(readFileSync(join(LM, 'tokenizer.reference.json'), 'utf8')) as {
        samples: { text: string; ids: number[] }[];
      };
      for (const sample of reference.samples.slice(0, 4)) {
        const encoded = await api.get(
          `/api/v1/models/${modelId}/tokenize?text=${encodeURIComponent(sample.text)}`,
        );
        expect(encoded.status, JSON.stringify(encoded.body)).toBe(200);
        // HF's ids begin with [BOS] (id 1); the lookup adds no special tokens.
        expect(encoded.body.ids).toEqual(sample.ids.slice(1));
        expect(encoded.body.tokens).toHaveLength(sample.ids.length - 1);
      }
    });

    async function decompose(body: Record<string, unknown>): Promise<string> {
      const queued = await api.post(`/api/v1/models/${modelId}/decompositions`, body);
      expect(queued.status, JSON.stringify(queued.body)).toBe(202);
      const job = await waitForJob(api, String(queued.body.jobId), 240_000);
      expect(job.status, `${JSON.stringify(job)}\n${platform.logs()}`).toBe('completed');
      return String(queued.body.decompositionId);
    }

    it('decomposes tokens 4, 99, 500 and 767 at layer 1: the eigenvalues PyTorch computed, exact', async () => {
      const reference = JSON.parse(readFileSync(join(LM, 'lm_dev.reference.json'), 'utf8')) as Reference;
      const tokens = Object.keys(reference.token_directions).map(Number);
      const decompositionId = await decompose({ topK: 8, layer: reference.layer, outputs: tokens });
      const stored = await api.get(`/api/v1/decompositions/${decompositionId}`);
      expect(stored.status).toBe(200);
      expect(stored.body.page).toBeUndefined();
      const outputs = stored.body.outputs as Output[];
      expect(outputs.map((output) => output.index)).toEqual(tokens);
      for (const output of outputs) {
        const expected = reference.token_directions[String(output.index)];
        if (!expected) throw new Error(`no reference for token ${output.index}`);
        expectReferenceEnds(output.eigenvalues, expected);
        expect(output.eigenvalues).toHaveLength(48);
        expect(output.exactness).not.toBeNull();
        expect(output.exactness as number).toBeLessThan(1e-8);
        // Labelled with the token's text from the tokenizer that came with the model.
        expect(output.label).toMatch(new RegExp(`^token ${output.index} ".+"$`));
      }

      // Top-8 per sign in model space (d = 48), each row read as tokens: its largest entries of W_E v.
      const vectors = await api.get(
        `/api/v1/decompositions/${decompositionId}/outputs/99/eigenvectors?space=model`,
      );
      expect(vectors.status, JSON.stringify(vectors.body)).toBe(200);
      const body = vectors.body as {
        vectors: number[][];
        readings: { space: string; top: { index: number; value: number; token?: string }[] }[];
      };
      expect(body.vectors).toHaveLength(16);
      expect(body.readings).toHaveLength(16);
      const file = parseSafetensors(readFileSync(join(LM, 'lm_dev', 'model.safetensors')));
      const embedding = decodeTensor(file, 'transformer.wte.weight');
      body.vectors.forEach((vector, row) => {
        const scores = Array.from({ length: 768 }, (_, token) =>
          vector.reduce((sum, value, i) => sum + value * (embedding[token * 48 + i] as number), 0),
        );
        const ranked = scores.map((score, token) => ({ token, score })).sort((a, b) => b.score - a.score);
        const reading = body.readings[row];
        expect(reading?.space).toBe('tokens');
        expect(reading?.top).toHaveLength(16);
        reading?.top.slice(0, 3).forEach((entry, i) => {
          expect(entry.index).toBe(ranked[i]?.token);
          expect(entry.value).toBeCloseTo(ranked[i]?.score as number, 5);
          expect(typeof entry.token).toBe('string');
        });
      });

      // Token-space vectors are not stored (V values each): the 404 says where they are.
      const input = await api.get(`/api/v1/decompositions/${decompositionId}/outputs/99/eigenvectors`);
      expect(input.status).toBe(404);
      expect(JSON.stringify(input.body)).toMatch(/space=model/);
    }, 300_000);

    it('decomposes every token of the vocabulary, each stored once, and pages through them', async () => {
      const decompositionId = await decompose({ topK: 2, layer: 0, allTokens: true });
      const first = await api.get(`/api/v1/decompositions/${decompositionId}`);
      expect(first.body.page).toEqual({ offset: 0, limit: 64, total: 768 });
      expect((first.body.outputs as Output[]).map((output) => output.index)).toEqual(
        Array.from({ length: 64 }, (_, i) => i),
      );
      const seen: number[] = [];
      for (let offset = 0; offset < 768; offset += 300) {
        const page = await api.get(`/api/v1/decompositions/${decompositionId}?offset=${offset}&limit=300`);
        expect(page.status).toBe(200);
        seen.push(...(page.body.outputs as Output[]).map((output) => output.index));
      }
      expect(seen).toEqual(Array.from({ length: 768 }, (_, i) => i));
      // One token's page: just the outputs asked for, whatever page they are on.
      const chosen = await api.get(`/api/v1/decompositions/${decompositionId}?outputs=700,3`);
      expect(chosen.status).toBe(200);
      expect(chosen.body.page).toBeUndefined();
      expect((chosen.body.outputs as Output[]).map((output) => output.index)).toEqual([3, 700]);
      const tooMany = await api.get(
        `/api/v1/decompositions/${decompositionId}?outputs=${Array.from({ length: 65 }, (_, i) => i).join(',')}`,
      );
      expect(tooMany.status).toBe(400);
      const again = await api.post(`/api/v1/models/${modelId}/decompositions`, {
        layer: 0,
        allTokens: true,
        topK: 2,
      });
      expect(again.status).toBe(200);
      expect(again.body.decompositionId).toBe(decompositionId);

      // Every spectrum in one download, read by numpy itself: [768, 48], row t the page's token t.
      const pages = new Map<number, number[]>();
      for (let offset = 0; offset < 768; offset += 512) {
        const page = await api.get(`/api/v1/decompositions/${decompositionId}?offset=${offset}&limit=512`);
        for (const output of page.body.outputs as Output[]) pages.set(output.index, output.eigenvalues);
      }
      const npy = await api.raw(`/api/v1/decompositions/${decompositionId}/spectra?format=npy`);
      expect(npy.status).toBe(200);
      expect(npy.headers.get('content-disposition')).toContain(`spectra-${decompositionId}.npy`);
      const npyBytes = Buffer.from(await npy.arrayBuffer());
      expect(Number(npy.headers.get('content-length'))).toBe(npyBytes.length);
      const file = join(mkdtempSync(join(tmpdir(), 'spectra-')), 'spectra.npy');
      writeFileSync(file, npyBytes);
      const numpy = spawnSync(
        'python3',
        [
          '-c',
          'import numpy as np, sys, json; a = np.load(sys.argv[1]); print(json.dumps({"shape": a.shape, "rows": a[[0, 99, 767]].tolist()}))',
          file,
        ],
        { encoding: 'utf8' },
      );
      expect(numpy.status, numpy.stderr).toBe(0);
      const read = JSON.parse(numpy.stdout) as { shape: number[]; rows: number[][] };
      expect(read.shape).toEqual([768, 48]);
      expect(read.rows).toEqual([pages.get(0), pages.get(99), pages.get(767)]);
      const csv = await (
        await api.raw(`/api/v1/decompositions/${decompositionId}/spectra?format=csv`)
      ).text();
      const lines = csv.trim().split('\n');
      expect(lines).toHaveLength(769);
      expect(lines[0]?.split(',').slice(0, 3)).toEqual(['output', 'eigenvalue_1', 'eigenvalue_2']);
      expect(lines[100]?.split(',').map(Number)).toEqual([99, ...(pages.get(99) ?? [])]);

      // Every token named one by one: a request whose canonical form outgrows a unique index entry.
      const named = { layer: 0, topK: 2, outputs: Array.from({ length: 768 }, (_, token) => 767 - token) };
      const listed = await decompose(named);
      expect(listed).not.toBe(decompositionId);
      const repeated = await api.post(`/api/v1/models/${modelId}/decompositions`, named);
      expect(repeated.status).toBe(200);
      expect(repeated.body.decompositionId).toBe(listed);
      const listedPage = await api.get(`/api/v1/decompositions/${listed}?offset=760&limit=8`);
      expect((listedPage.body.outputs as Output[]).map((output) => output.index)).toEqual([
        760, 761, 762, 763, 764, 765, 766, 767,
      ]);
    }, 300_000);

    it("decomposes an output SAE's features, and over an input SAE's features (DᵀQD): PyTorch's eigenvalues", async () => {
      const reference = JSON.parse(readFileSync(join(LM, 'lm_dev.reference.json'), 'utf8')) as Reference & {
        sae_out_features: Reference['token_directions'];
        sae_in_out_features_DtQD: Reference['token_directions'];
      };
      const attach = async (folder: string) => {
        const form = new FormData();
        form.append(
          'file',
          new Blob([readFileSync(join(LM, folder, 'model.safetensors'))]),
          'model.safetensors',
        );
        form.append('config', new Blob([readFileSync(join(LM, folder, 'config.json'))]), 'config.json');
        const response = await api.post(`/api/v1/models/${modelId}/saes/import`, form);
        expect(response.status, JSON.stringify(response.body)).toBe(201);
        return response.body as { id: string; layer: number; hookPoint: string; features: number };
      };
      const saeOut = await attach('sae_l1_mlp_out');
      const saeIn = await attach('sae_l1_mlp_in');
      expect(saeOut).toMatchObject({ layer: 1, hookPoint: 'mlp-out', features: 192 });
      expect(saeIn).toMatchObject({ layer: 1, hookPoint: 'mlp-in', features: 192 });
      const listed = await api.get(`/api/v1/models/${modelId}/saes`);
      expect((listed.body as { id: string }[]).map((sae) => sae.id).sort()).toEqual(
        [saeOut.id, saeIn.id].sort(),
      );

      const features = Object.keys(reference.sae_out_features).map(Number);
      const check = (outputs: Output[], expected: Reference['token_directions'], width: number) => {
        expect(outputs.map((output) => output.index)).toEqual(features);
        for (const output of outputs) {
          const values = expected[String(output.index)];
          if (!values) throw new Error(`no reference for feature ${output.index}`);
          expect(output.eigenvalues).toHaveLength(width);
          expectReferenceEnds(output.eigenvalues, values);
          expect(output.exactness as number).toBeLessThan(1e-8);
        }
      };
      // The layer is the SAEs' own (1): no `layer` needed.
      const alongFeatures = await decompose({ topK: 8, saeOut: saeOut.id, features });
      const plain = await api.get(`/api/v1/decompositions/${alongFeatures}`);
      check(plain.body.outputs as Output[], reference.sae_out_features, 48);

      const overFeatures = await decompose({ topK: 8, saeOut: saeOut.id, features, saeIn: saeIn.id });
      const reduced = await api.get(`/api/v1/decompositions/${overFeatures}`);
      // DᵀQD is F × F: 48 eigenvalues from the reduced problem and F − d = 144 zeros.
      check(reduced.body.outputs as Output[], reference.sae_in_out_features_DtQD, 192);
      const vectors = await api.get(
        `/api/v1/decompositions/${overFeatures}/outputs/77/eigenvectors?space=model&k=2`,
      );
      expect(vectors.status, JSON.stringify(vectors.body)).toBe(200);
      const readings = vectors.body.readings as { space: string; top: { index: number }[] }[];
      expect(readings.map((reading) => reading.space)).toEqual([
        'features',
        'features',
        'features',
        'features',
      ]);
      expect(readings[0]?.top.every((entry) => entry.index >= 0 && entry.index < 192)).toBe(true);

      const wrongPoint = await api.post(`/api/v1/models/${modelId}/decompositions`, {
        saeOut: saeIn.id,
        features: [0],
      });
      expect(wrongPoint.status).toBe(400);
      expect(JSON.stringify(wrongPoint.body)).toMatch(/reads mlp-in; saeOut needs one on the MLP's output/);
      const noSae = await api.post(`/api/v1/models/${modelId}/decompositions`, { features: [0] });
      expect(noSae.status).toBe(400);
      expect(JSON.stringify(noSae.body)).toMatch(/give saeOut as well/);
    }, 300_000);

    it('refuses what does not apply to a language model, naming the field', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ outputs: [1], layer: 2 }, /layer 2 does not exist/],
        [{ outputs: [768] }, /768 outside the vocabulary 0\.\.767/],
        [{ topK: 4 }, /name the token ids/],
        [{ outputs: [1], allTokens: true }, /not both/],
        [{ outputs: [1], hosvd: true }, /image classifiers/],
      ];
      for (const [body, message] of cases) {
        const response = await api.post(`/api/v1/models/${modelId}/decompositions`, body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(JSON.stringify(response.body)).toMatch(message);
      }
    });
  },
);
