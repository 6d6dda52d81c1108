// A language model's HF folder through POST …/models/import: model.safetensors streams into the
// artifact store (judged from its header, held to BILINEAR_MODEL_UPLOAD_LIMIT_MB rather than the
// classifiers' limit), config.json decides how it is read, tokenizer.json must fit it; every refusal
// leaves no row and no artifact behind. The fixture is an HF folder PyTorch wrote (../shared).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, multipartBody, startTestApp, type TestApp } from '../../testing/test-app.js';

const LM = new URL('../../../../../../shared/fixtures/lm/', import.meta.url);
const present = existsSync(new URL('lm_dev/model.safetensors', LM));

describe.skipIf(!present)(
  'importing a language-model folder (skipped: ../shared/fixtures/lm is absent here)',
  () => {
    let test: TestApp;
    let projectId: string;
    let weights: Buffer;
    let config: Buffer;
    let tokenizer: Buffer;

    beforeAll(async () => {
      // lm_dev's 517 KB are over this app's classifier limit, under its language-model one.
      test = await startTestApp('lm-import', { uploadLimitMb: 0.25, modelUploadLimitMb: 1 });
      projectId = await createProject(test, test.adminKey);
      [weights, config, tokenizer] = await Promise.all([
        readFile(new URL('lm_dev/model.safetensors', LM)),
        readFile(new URL('lm_dev/config.json', LM)),
        readFile(new URL('tokenizer.json', LM)),
      ]);
    });

    afterAll(async () => {
      await test?.close();
    });

    type Part = Parameters<typeof multipartBody>[0][number];

    function importParts(parts: Part[]) {
      const upload = multipartBody(parts);
      return test.call({
        method: 'POST',
        url: `/api/v1/projects/${projectId}/models/import`,
        key: test.adminKey,
        payload: upload.payload,
        headers: upload.headers,
      });
    }

    const file = (bytes: Uint8Array = weights): Part => ({
      field: 'file',
      fileName: 'model.safetensors',
      bytes,
    });
    const configPart = (bytes: Uint8Array = config): Part => ({
      field: 'config',
      fileName: 'config.json',
      bytes,
    });

    async function stored() {
      const [models, artifacts] = await Promise.all([
        test.app.db.model.count(),
        test.app.db.artifact.count(),
      ]);
      return { models, artifacts };
    }

    it('imports model.safetensors with config.json and tokenizer.json, in any order, and serves the same bytes', async () => {
      const response = await importParts([
        { field: 'tokenizer', fileName: 'tokenizer.json', bytes: tokenizer },
        file(),
        configPart(),
        { field: 'name', value: 'lm_dev' },
      ]);
      expect(response.statusCode).toBe(201);
      const body = response.json();
      const fileConfig = JSON.parse(config.toString('utf8'));
      expect(body.config).toMatchObject({
        kind: 'language-model',
        vocabSize: fileConfig.vocab_size,
        modelDim: fileConfig.d_model,
        hiddenDim: fileConfig.d_hidden,
        layers: fileConfig.n_layer,
        heads: fileConfig.n_head,
        context: fileConfig.n_ctx,
        attention: true,
        gate: 'none',
        configSource: 'config-file',
        fileConfig,
        tokenizer: { vocabSize: 768 },
      });
      expect(body.metrics).toBeNull();

      const model = await test.call({ url: `/api/v1/models/${body.modelId}`, key: test.adminKey });
      expect(model.json()).toMatchObject({
        name: 'lm_dev',
        source: 'imported',
        status: 'completed',
        dataset: null,
      });
      const download = await test.call({
        url: `/api/v1/models/${body.modelId}/checkpoint`,
        key: test.adminKey,
      });
      expect(download.statusCode).toBe(200);
      const sha = createHash('sha256').update(weights).digest('hex');
      expect(download.headers['x-checksum-sha256']).toBe(sha);
      expect(createHash('sha256').update(download.rawPayload).digest('hex')).toBe(sha);
      const tokenizerRow = await test.app.artifacts.info(body.config.tokenizer.artifactId);
      expect(tokenizerRow).toMatchObject({ kind: 'tokenizer', byteLength: tokenizer.length });
    });

    it('takes config.json as a text field too', async () => {
      const response = await importParts([{ field: 'config', value: config.toString('utf8') }, file()]);
      expect(response.statusCode).toBe(201);
      expect(response.json().config).toMatchObject({ kind: 'language-model', tokenizer: null });
    });

    it('refuses, naming the problem and storing nothing: no config, a config the weights contradict, a bad tokenizer', async () => {
      const before = await stored();
      const missing = await importParts([file()]);
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error).toMatchObject({ code: 'missing-file' });
      expect(missing.json().error.message).toMatch(/config\.json in the part "config"/);

      const wider = JSON.stringify({ ...JSON.parse(config.toString('utf8')), d_model: 64 });
      const contradicted = await importParts([file(), configPart(Buffer.from(wider))]);
      expect(contradicted.statusCode).toBe(400);
      expect(contradicted.json().error.message).toMatch(/d_model = 64/);

      const notJson = await importParts([file(), configPart(Buffer.from('{"d_model": 4'))]);
      expect(notJson.statusCode).toBe(400);
      expect(notJson.json().error).toMatchObject({ code: 'invalid-config' });

      const badTokenizer = await importParts([
        file(),
        configPart(),
        { field: 'tokenizer', fileName: 'tokenizer.json', bytes: Buffer.from('{"model": 3}') },
      ]);
      expect(badTokenizer.statusCode).toBe(400);
      expect(badTokenizer.json().error).toMatchObject({ code: 'invalid-tokenizer' });
      expect(badTokenizer.json().error.message).toContain('tokenizer.json');

      const residual = await importParts([file(), configPart(), { field: 'residual', value: 'true' }]);
      expect(residual.statusCode).toBe(400);
      expect(residual.json().error.message).toMatch(/image classifiers only/);
      expect(await stored()).toEqual(before);
    });

    it('refuses a file cut short or with bytes past its last tensor, and one over the language-model limit', async () => {
      const before = await stored();
      const short = await importParts([file(weights.subarray(0, weights.length - 100)), configPart()]);
      expect(short.statusCode).toBe(400);
      expect(short.json().error.message).toMatch(/ended after \d+ of the \d+ bytes its header describes/);

      const long = await importParts([file(Buffer.concat([weights, Buffer.alloc(4)])), configPart()]);
      expect(long.statusCode).toBe(400);
      expect(long.json().error.message).toMatch(/allows no trailing data/);

      // The same layout, its header stating 2 MB of weights: refused before they are stored.
      const header = Buffer.from(
        JSON.stringify({
          'transformer.wte.weight': { dtype: 'F32', shape: [1024, 256], data_offsets: [0, 1 << 20] },
          'transformer.h.0.mlp.w.weight': {
            dtype: 'F32',
            shape: [2, 256],
            data_offsets: [1 << 20, (1 << 20) + 2048],
          },
          'transformer.h.0.mlp.p.weight': {
            dtype: 'F32',
            shape: [256, 1],
            data_offsets: [(1 << 20) + 2048, (1 << 20) + 3072],
          },
          'lm_head.weight': {
            dtype: 'F32',
            shape: [1024, 256],
            data_offsets: [(1 << 20) + 3072, (2 << 20) + 3072],
          },
        }),
      );
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(BigInt(header.length));
      const large = await importParts([
        file(Buffer.concat([prefix, header, Buffer.alloc((2 << 20) + 3072)])),
        configPart(),
      ]);
      expect(large.statusCode).toBe(413);
      expect(large.json().error.message).toMatch(/BILINEAR_MODEL_UPLOAD_LIMIT_MB/);

      const notSafetensors = await importParts([
        file(Buffer.from('not a model at all, just text')),
        configPart(),
      ]);
      expect(notSafetensors.statusCode).toBe(400);
      expect(notSafetensors.json().error).toMatchObject({ code: 'invalid-model-file' });
      expect(await stored()).toEqual(before);
    });
  },
);
