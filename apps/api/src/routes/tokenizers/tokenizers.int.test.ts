// Tokenizer uploads against real Postgres: the fixture tokenizer.json (made by HF `tokenizers`) stored,
// listed, downloaded byte for byte, and encoding its reference samples to the ids HF gave; files the
// tokenizer library cannot load refused with a 400 saying what is wrong, leaving nothing.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, createProject, multipartBody, startTestApp, type TestApp } from '../../testing/test-app.js';

const LM = fileURLToPath(new URL('../../../../../../shared/fixtures/lm/', import.meta.url));
const present = existsSync(`${LM}tokenizer.json`);
if (!present) console.warn(`skipping: ${LM} is absent (the shared fixtures are not beside the repository)`);

let test: TestApp;
let projectId: string;

beforeAll(async () => {
  test = await startTestApp('tokenizers');
  projectId = await createProject(test, test.adminKey);
});

afterAll(async () => {
  await test?.close();
});

async function upload(parts: Parameters<typeof multipartBody>[0], key = test.adminKey, project = projectId) {
  const body = multipartBody(parts);
  return test.call({
    method: 'POST',
    url: `/api/v1/projects/${project}/tokenizers`,
    key,
    payload: body.payload,
    headers: body.headers,
  });
}

async function counts() {
  return { tokenizers: await test.app.db.tokenizer.count(), artifacts: await test.app.db.artifact.count() };
}

describe.skipIf(!present)('tokenizers', () => {
  it('stores the fixture tokenizer.json (201) and encodes every reference sample to the ids HF tokenizers gave', async () => {
    const bytes = readFileSync(`${LM}tokenizer.json`);
    const reference = JSON.parse(readFileSync(`${LM}tokenizer.reference.json`, 'utf8')) as {
      vocab_size: number;
      samples: { text: string; ids: number[] }[];
    };
    const response = await upload([
      { field: 'file', fileName: 'tokenizer.json', bytes },
      { field: 'name', value: 'fixture wordpiece' },
    ]);
    expect(response.statusCode, response.body).toBe(201);
    const tokenizer = response.json();
    expect(tokenizer).toMatchObject({
      name: 'fixture wordpiece',
      projectId,
      source: 'upload',
      vocabSize: reference.vocab_size,
      dataset: null,
      jobId: null,
    });

    expect(reference.samples.length).toBeGreaterThan(0);
    for (const sample of reference.samples) {
      const encoded = await test.call({
        method: 'POST',
        url: `/api/v1/tokenizers/${tokenizer.tokenizerId}/tokenize`,
        key: test.adminKey,
        body: { text: sample.text },
      });
      expect(encoded.statusCode, encoded.body).toBe(200);
      expect(encoded.json().ids).toEqual(sample.ids);
    }

    const download = await test.call({
      url: `/api/v1/tokenizers/${tokenizer.tokenizerId}/file`,
      key: test.adminKey,
    });
    expect(download.rawPayload.equals(bytes)).toBe(true);
    const listed = await test.call({ url: `/api/v1/projects/${projectId}/tokenizers`, key: test.adminKey });
    expect(listed.json()).toEqual([tokenizer]);
    expect(
      (await test.call({ url: `/api/v1/tokenizers/${tokenizer.tokenizerId}`, key: test.adminKey })).json(),
    ).toEqual(tokenizer);

    // Another project's member sees nothing of it.
    const other = await createProject(test, test.adminKey, 'other');
    const outsider = await addUser(test, test.adminKey, other, 'tokenizer-outsider', 'owner');
    expect(
      (await test.call({ url: `/api/v1/tokenizers/${tokenizer.tokenizerId}`, key: outsider })).statusCode,
    ).toBe(404);

    // Language-model training may name it; one of vocab / tokenizer / tokenizerId.
    const config = { layers: 1, dModel: 8, heads: 1, dHidden: 8, ctx: 8, batchSize: 2, steps: 2 };
    const train = (extra: Record<string, unknown>) =>
      test.call({
        method: 'POST',
        url: `/api/v1/projects/${projectId}/models/train-language-model`,
        key: test.adminKey,
        body: { dataset: 'stories:20', config: { ...config, ...extra } },
      });
    const accepted = await train({ tokenizerId: tokenizer.tokenizerId });
    expect(accepted.statusCode, accepted.body).toBe(202);
    const model = await test.app.db.model.findUniqueOrThrow({ where: { id: accepted.json().modelId } });
    expect((model.config as { vocabSize: number }).vocabSize).toBe(reference.vocab_size);
    const both = await train({ tokenizerId: tokenizer.tokenizerId, vocab: 64 });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.message).toContain('body.config.tokenizerId');
    const missing = '00000000-0000-4000-8000-000000000000';
    const unknown = await train({ tokenizerId: missing });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toBe(
      `body.config.tokenizerId: no tokenizer ${missing} in project ${projectId}`,
    );
  });

  it('refuses a file the tokenizer library cannot load with a 400 saying what is wrong, leaving nothing', async () => {
    const before = await counts();
    const fixture = JSON.parse(readFileSync(`${LM}tokenizer.json`, 'utf8')) as Record<string, unknown>;
    const cases: { fileName: string; bytes: Uint8Array; text: RegExp }[] = [
      { fileName: 'broken.json', bytes: Buffer.from('{"model": '), text: /^broken\.json: / },
      { fileName: 'array.json', bytes: Buffer.from('[1, 2]'), text: /^array\.json: .*array/ },
      {
        fileName: 'no-model.json',
        bytes: Buffer.from(JSON.stringify({ ...fixture, model: undefined })),
        text: /^no-model\.json: .*model/,
      },
      { fileName: 'latin1.json', bytes: Buffer.from([0x7b, 0xe9, 0x7d]), text: /^latin1\.json: not UTF-8/ },
    ];
    for (const { fileName, bytes, text } of cases) {
      const response = await upload([{ field: 'file', fileName, bytes }]);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().error.code).toBe('invalid-tokenizer');
      expect(response.json().error.message).toMatch(text);
    }
    const none = await upload([{ field: 'name', value: 'x' }]);
    expect(none.statusCode).toBe(400);
    expect(none.json().error.code).toBe('missing-file');
    expect(await counts()).toEqual(before);
  });

  it('queues a tokenizer-train job for a corpus of the project (202), refusing an unknown corpus or a bad vocab (400)', async () => {
    const train = (body: Record<string, unknown>) =>
      test.call({
        method: 'POST',
        url: `/api/v1/projects/${projectId}/tokenizers/train`,
        key: test.adminKey,
        body,
      });
    const accepted = await train({ dataset: 'stories:50', vocab: 100 });
    expect(accepted.statusCode, accepted.body).toBe(202);
    const { tokenizerId, jobId } = accepted.json();
    const job = await test.app.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({
      queue: 'tokenizer-train',
      status: 'queued',
      subject: `tokenizer:${tokenizerId}`,
    });
    expect(job.payload).toMatchObject({ dataset: 'stories:50', vocab: 100, tokenizerId, projectId });
    expect(await test.app.db.tokenizer.count({ where: { id: tokenizerId } })).toBe(0);

    const missing = '00000000-0000-4000-8000-000000000000';
    const cases: [Record<string, unknown>, string][] = [
      [{ dataset: `corpus:${missing}` }, `body.dataset: no corpus ${missing} in project ${projectId}`],
      [{ dataset: 'stories:0' }, 'body.dataset'],
      [{ dataset: 'text:/etc/passwd' }, 'body.dataset'],
      [{ vocab: 4 }, 'body.vocab'],
    ];
    const jobs = await test.app.db.job.count();
    for (const [body, text] of cases) {
      const refused = await train(body);
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.json().error.message).toContain(text);
    }
    expect(await test.app.db.job.count()).toBe(jobs);
  });
});
