// A language model's tokens by id (GET …/models/{id}/tokens): the text the model's own tokenizer gives
// each id — the same tokens /tokenize answers for a sentence — null past its vocabulary, and refusals
// that name the problem. The fixture is an HF folder PyTorch wrote (../shared).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, multipartBody, startTestApp, type TestApp } from '../../testing/test-app.js';

const LM = new URL('../../../../../../shared/fixtures/lm/', import.meta.url);
const present = existsSync(new URL('lm_dev/model.safetensors', LM));

describe.skipIf(!present)('token text by id (skipped: ../shared/fixtures/lm is absent here)', () => {
  let test: TestApp;
  let withTokenizer: string;
  let withoutTokenizer: string;

  beforeAll(async () => {
    test = await startTestApp('lm-tokens');
    const projectId = await createProject(test, test.adminKey);
    const [weights, config, tokenizer] = await Promise.all([
      readFile(new URL('lm_dev/model.safetensors', LM)),
      readFile(new URL('lm_dev/config.json', LM)),
      readFile(new URL('tokenizer.json', LM)),
    ]);
    const upload = async (withTokenizerPart: boolean) => {
      const body = multipartBody([
        { field: 'file', fileName: 'model.safetensors', bytes: weights },
        { field: 'config', fileName: 'config.json', bytes: config },
        ...(withTokenizerPart ? [{ field: 'tokenizer', fileName: 'tokenizer.json', bytes: tokenizer }] : []),
      ]);
      const response = await test.call({
        method: 'POST',
        url: `/api/v1/projects/${projectId}/models/import`,
        key: test.adminKey,
        payload: body.payload,
        headers: body.headers,
      });
      expect(response.statusCode, response.body).toBe(201);
      return String(response.json().modelId);
    };
    withTokenizer = await upload(true);
    withoutTokenizer = await upload(false);
  });

  afterAll(async () => {
    await test?.close();
  });

  const get = (url: string) => test.call({ url, key: test.adminKey });

  it("reads ids as the model's tokenizer wrote them: the tokens /tokenize gives, null past the vocabulary", async () => {
    const sentence = await get(
      `/api/v1/models/${withTokenizer}/tokenize?text=${encodeURIComponent('the little dog ran home')}`,
    );
    const { ids, tokens } = sentence.json() as { ids: number[]; tokens: string[] };
    expect(ids.length).toBeGreaterThan(3);
    const read = await get(`/api/v1/models/${withTokenizer}/tokens?ids=${[...ids, 768].join(',')}`);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toEqual({ ids: [...ids, 768], tokens: [...tokens, null] });
  });

  it('refuses malformed ids, too many, and a model without a tokenizer, saying what to do', async () => {
    const malformed = await get(`/api/v1/models/${withTokenizer}/tokens?ids=4,x`);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.body).toMatch(/comma-separated/);
    const many = Array.from({ length: 513 }, (_, i) => i).join(',');
    expect((await get(`/api/v1/models/${withTokenizer}/tokens?ids=${many}`)).statusCode).toBe(400);
    const none = await get(`/api/v1/models/${withoutTokenizer}/tokens?ids=4`);
    expect(none.statusCode).toBe(422);
    expect(none.json().error).toMatchObject({ code: 'no-tokenizer' });
    expect(none.json().error.message).toMatch(/tokenizer\.json/);
  });
});
