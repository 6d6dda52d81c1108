// Corpus uploads against real Postgres: streamed into the store while the text package's reader checks
// each line; every refusal names the line (or the file) and leaves no row and no artifact.
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, createProject, multipartBody, startTestApp, type TestApp } from '../../testing/test-app.js';

let test: TestApp;
let projectId: string;

const MAX_LINE = 200;

beforeAll(async () => {
  test = await startTestApp('corpora', {
    corpusUploadLimitMb: 1,
    tuning: {
      sseHeartbeatMs: 300,
      databaseConnections: 4,
      corpus: { maxLineLength: MAX_LINE, expandedBytes: 4 << 20 },
    },
  });
  projectId = await createProject(test, test.adminKey);
});

afterAll(async () => {
  await test?.close();
});

type Parts = Parameters<typeof multipartBody>[0];

async function upload(parts: Parts, key = test.adminKey, project = projectId) {
  const body = multipartBody(parts);
  return test.call({
    method: 'POST',
    url: `/api/v1/projects/${project}/corpora`,
    key,
    payload: body.payload,
    headers: body.headers,
  });
}

const file = (fileName: string, bytes: Uint8Array | string) => ({
  field: 'file',
  fileName,
  bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes,
});

async function counts() {
  return { corpora: await test.app.db.corpus.count(), artifacts: await test.app.db.artifact.count() };
}

const STORIES = 'Once upon a time there was a cat.\nThe cat sat.\n\nA dog ran.\n<|endoftext|>\nThe end é.\n';

describe('POST /projects/:id/corpora', () => {
  it('stores a .txt corpus (201) with its documents, lines and characters; lists it after the stories; downloads it byte for byte', async () => {
    const response = await upload([{ field: 'name', value: 'tiny tales' }, file('tales.txt', STORIES)]);
    expect(response.statusCode, response.body).toBe(201);
    const corpus = response.json();
    expect(corpus).toMatchObject({
      name: 'tiny tales',
      dataset: `corpus:${corpus.corpusId}`,
      projectId,
      builtIn: false,
      format: 'text',
      gzip: false,
      field: null,
      documents: 3,
      bytes: Buffer.byteLength(STORIES),
      lines: 6,
      characters: STORIES.replace(/\n/g, '').length,
      sha256: createHash('sha256').update(STORIES).digest('hex'),
      fileName: 'tales.txt',
    });

    const got = await test.call({ url: `/api/v1/corpora/${corpus.corpusId}`, key: test.adminKey });
    expect(got.json()).toEqual(corpus);
    const listed = await test.call({ url: `/api/v1/projects/${projectId}/corpora`, key: test.adminKey });
    const list = listed.json() as { corpusId: string; builtIn: boolean; dataset: string }[];
    expect(list[0]).toMatchObject({ corpusId: 'stories', dataset: 'stories', builtIn: true });
    expect(list.map((item) => item.corpusId)).toContain(corpus.corpusId);

    const download = await test.call({ url: `/api/v1/corpora/${corpus.corpusId}/file`, key: test.adminKey });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(Buffer.from(STORIES))).toBe(true);
    expect(download.headers['x-checksum-sha256']).toBe(corpus.sha256);
    expect(download.headers['content-disposition']).toContain('tales.txt');
  });

  it('reads a .jsonl.gz by its name, a field sent after the file, and a format that overrides the name', async () => {
    const records = `${JSON.stringify({ body: 'first story' })}\n\n${JSON.stringify({ body: 'second', id: 2 })}\n${JSON.stringify({ body: '  ' })}\n`;
    const gz = gzipSync(records);
    // "field" after the file: the stored bytes are read again with it.
    const response = await upload([file('stories.jsonl.gz', gz), { field: 'field', value: 'body' }]);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      name: 'stories',
      format: 'jsonl',
      gzip: true,
      field: 'body',
      documents: 2,
      bytes: gz.length,
      lines: 4,
    });
    const download = await test.call({
      url: `/api/v1/corpora/${response.json().corpusId}/file`,
      key: test.adminKey,
    });
    expect(download.rawPayload.equals(gz)).toBe(true);

    const asJsonl = await upload([
      { field: 'format', value: 'jsonl' },
      file('records.txt', '{"text": "a b c"}\n'),
    ]);
    expect(asJsonl.statusCode, asJsonl.body).toBe(201);
    expect(asJsonl.json()).toMatchObject({ format: 'jsonl', field: 'text', documents: 1, name: 'records' });
  });

  it('refuses every malformed corpus with a 400 naming the line (or the file), leaving no row and no artifact', async () => {
    const before = await counts();
    const invalidUtf8 = Buffer.concat([
      Buffer.from('good line\nbad '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' line\n'),
    ]);
    const cases: { parts: Parts; code: string; text: string; line?: number | null }[] = [
      {
        parts: [file('a.jsonl', '{"text": "one"}\n{"text": "two"}\n{"text": "thr\n')],
        code: 'invalid-corpus',
        text: 'a.jsonl:3: not a JSON object',
        line: 3,
      },
      {
        parts: [file('b.jsonl', '{"text": "one"}\n{"story": "two"}\n')],
        code: 'invalid-corpus',
        text: 'b.jsonl:2: the record has no string field "text"',
        line: 2,
      },
      {
        parts: [{ field: 'field', value: 'body' }, file('c.jsonl', '{"body": "x"}\n{"body": 5}\n')],
        code: 'invalid-corpus',
        text: 'c.jsonl:2: the record has no string field "body"',
        line: 2,
      },
      {
        // The field comes after the file: the second reading names the line.
        parts: [
          file('c2.jsonl', '{"text": "x", "body": "y"}\n{"text": "z"}\n'),
          { field: 'field', value: 'body' },
        ],
        code: 'invalid-corpus',
        text: 'c2.jsonl:2: the record has no string field "body"',
        line: 2,
      },
      {
        parts: [file('d.txt', invalidUtf8)],
        code: 'invalid-corpus',
        text: 'd.txt:2: not valid UTF-8 text (byte 5 of the line)',
        line: 2,
      },
      {
        parts: [file('e.txt.gz', 'this is not gzip\n')],
        code: 'invalid-corpus',
        text: 'e.txt.gz: not a readable gzip file',
      },
      {
        parts: [file('f.txt.gz', gzipSync('a story\n'.repeat(500)).subarray(0, 40))],
        code: 'invalid-corpus',
        text: 'f.txt.gz: not a readable gzip file',
      },
      {
        parts: [file('g.txt', `short\nalso short\n${'x'.repeat(5000)}\n`)],
        code: 'invalid-corpus',
        text: `g.txt:3: a line longer than ${MAX_LINE} characters`,
        line: 3,
      },
      {
        parts: [file('h.txt', gzipSync(Buffer.alloc(8 << 20, 0x0a)))].map((part) => ({
          ...part,
          fileName: 'h.txt.gz',
        })),
        code: 'invalid-corpus',
        text: `h.txt.gz: more than ${4 << 20} bytes of text once decompressed`,
      },
      {
        parts: [file('empty.txt', '\n\n   \n')],
        code: 'empty-corpus',
        text: 'empty.txt: no documents (3 lines',
      },
      {
        parts: [file('empty.jsonl', '{"text": ""}\n')],
        code: 'empty-corpus',
        text: 'no record with a non-blank "text"',
      },
      { parts: [file('zero.txt', '')], code: 'empty-corpus', text: 'zero.txt: no documents' },
      { parts: [{ field: 'name', value: 'x' }], code: 'missing-file', text: 'no corpus file' },
      {
        parts: [{ field: 'format', value: 'csv' }, file('i.txt', 'a\n')],
        code: 'invalid-request',
        text: 'body.format',
      },
      {
        parts: [{ field: 'field', value: 'body' }, file('j.txt', 'a\n')],
        code: 'invalid-request',
        text: 'body.field',
      },
      {
        parts: [{ field: 'other', fileName: 'k.txt', bytes: Buffer.from('a\n') }],
        code: 'unexpected-field',
        text: '"other"',
      },
      {
        parts: [file('l.txt', 'a\n'), file('m.txt', 'b\n')],
        code: 'too-many-files',
        text: 'one corpus file',
      },
    ];
    for (const { parts, code, text, line } of cases) {
      const response = await upload(parts);
      expect(response.statusCode, `${text}: ${response.body}`).toBe(400);
      expect(response.json().error.code, text).toBe(code);
      expect(response.json().error.message).toContain(text);
      if (line !== undefined) expect(response.json().error.details).toEqual({ line });
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses a corpus over BILINEAR_CORPUS_UPLOAD_LIMIT_MB (413), leaving nothing', async () => {
    const before = await counts();
    const big = 'a perfectly fine line of a story\n'.repeat(40_000); // 1.3 MB
    const response = await upload([file('big.txt', big)]);
    expect(response.statusCode, response.body).toBe(413);
    expect(response.json().error.code).toBe('payload-too-large');
    expect(response.json().error.message).toContain('limit of 1 MB (BILINEAR_CORPUS_UPLOAD_LIMIT_MB');
    expect(await counts()).toEqual(before);
  });

  it('keeps corpora to their project: a viewer reads but cannot upload or delete; another project sees 404', async () => {
    const made = await upload([file('shared.txt', STORIES)]);
    const corpusId = made.json().corpusId as string;
    const viewer = await addUser(test, test.adminKey, projectId, 'corpus-viewer', 'viewer');
    expect((await test.call({ url: `/api/v1/corpora/${corpusId}`, key: viewer })).statusCode).toBe(200);
    expect((await upload([file('v.txt', STORIES)], viewer)).statusCode).toBe(403);
    expect(
      (await test.call({ method: 'DELETE', url: `/api/v1/corpora/${corpusId}`, key: viewer })).statusCode,
    ).toBe(403);

    const otherProject = await createProject(test, test.adminKey, 'other');
    const outsider = await addUser(test, test.adminKey, otherProject, 'corpus-outsider', 'owner');
    for (const url of [`/api/v1/corpora/${corpusId}`, `/api/v1/corpora/${corpusId}/file`]) {
      const response = await test.call({ url, key: outsider });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.message).toContain(corpusId);
    }
    expect(
      (await test.call({ url: `/api/v1/projects/${projectId}/corpora`, key: outsider })).statusCode,
    ).toBe(404);
  });

  it('deletes a corpus and its file (204); it is gone after', async () => {
    const made = await upload([file('doomed.txt', STORIES)]);
    const corpusId = made.json().corpusId as string;
    const row = await test.app.db.corpus.findUniqueOrThrow({ where: { id: corpusId } });
    const deleted = await test.call({
      method: 'DELETE',
      url: `/api/v1/corpora/${corpusId}`,
      key: test.adminKey,
    });
    expect(deleted.statusCode).toBe(204);
    expect(await test.app.artifacts.info(row.artifactId)).toBeNull();
    expect((await test.call({ url: `/api/v1/corpora/${corpusId}`, key: test.adminKey })).statusCode).toBe(
      404,
    );
  });
});

describe('the OpenAPI document', () => {
  it('describes the corpora and tokenizer routes', async () => {
    const response = await test.call({ url: '/api/docs/json' });
    expect(response.statusCode).toBe(200);
    const paths = Object.keys(response.json().paths as Record<string, unknown>);
    for (const path of [
      '/api/v1/projects/{projectId}/corpora',
      '/api/v1/corpora/{corpusId}',
      '/api/v1/corpora/{corpusId}/file',
      '/api/v1/projects/{projectId}/tokenizers',
      '/api/v1/projects/{projectId}/tokenizers/train',
      '/api/v1/tokenizers/{tokenizerId}',
      '/api/v1/tokenizers/{tokenizerId}/file',
      '/api/v1/tokenizers/{tokenizerId}/tokenize',
    ]) {
      expect(paths).toContain(path);
    }
  });
});

describe('language-model training on an uploaded corpus (the dataset check)', () => {
  const config = { layers: 1, dModel: 8, heads: 1, dHidden: 8, ctx: 8, batchSize: 2, steps: 2, vocab: 64 };
  const train = (dataset: string) =>
    test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/models/train-language-model`,
      key: test.adminKey,
      body: { dataset, config },
    });

  it('takes corpus:<id> of the project (202) and refuses one that is not there or in another project (400)', async () => {
    const made = await upload([file('train-me.txt', STORIES)]);
    const corpusId = made.json().corpusId as string;
    const accepted = await train(`corpus:${corpusId}`);
    expect(accepted.statusCode, accepted.body).toBe(202);
    const model = await test.app.db.model.findUniqueOrThrow({ where: { id: accepted.json().modelId } });
    expect(model.datasetSpec).toBe(`corpus:${corpusId}`);
    expect(model.name).toBe('train-me-lm-d8-l1');

    const otherProject = await createProject(test, test.adminKey, 'elsewhere');
    const elsewhere = await upload([file('elsewhere.txt', STORIES)], test.adminKey, otherProject);
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const id of [elsewhere.json().corpusId as string, missing]) {
      const refused = await train(`corpus:${id}`);
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.json().error.message).toBe(`body.dataset: no corpus ${id} in project ${projectId}`);
    }
    const malformed = await train('corpus:nope');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.message).toContain('corpus:<id>');
  });
});

describe('a large corpus (memory bounded)', () => {
  let big: TestApp;
  beforeAll(async () => {
    big = await startTestApp('corpora-large', { corpusUploadLimitMb: 512 });
  });
  afterAll(async () => {
    await big?.close();
  });

  it('streams 96 MiB of text over HTTP into the store without holding it: live memory rises far less than the file', async () => {
    // Live memory, not garbage waiting for a collection: a collection forced before each sample.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const live = () => {
      gc();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    const projectId = await createProject(big, big.adminKey);
    await big.app.listen({ port: 0, host: '127.0.0.1' });
    const address = big.app.server.address() as { port: number };
    const line = 'The little robot counted the stars, one by one, until the morning came.\n';
    const piece = Buffer.from(`${line.repeat(4)}\n`.repeat(200));
    const pieces = Math.ceil((96 << 20) / piece.length);
    const boundary = '----bilinear-large-corpus';
    // The body made as it is sent, a piece at a time, as a browser sends a file.
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="large.txt"\r\nContent-Type: text/plain\r\n\r\n`,
      );
      for (let i = 0; i < pieces; i++) yield piece;
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    }
    const upload = () =>
      fetch(`http://127.0.0.1:${address.port}/api/v1/projects/${projectId}/corpora`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${big.adminKey}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        body: body(),
        duplex: 'half',
      } as RequestInit & { duplex: 'half' });
    // A first upload: what the Prisma client keeps of the last writes (bounded, the same after any
    // large upload) is there before the measured one.
    expect((await upload()).status).toBe(201);
    const before = live();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, live());
    }, 500);
    const started = performance.now();
    const response = await upload();
    const answer = (await response.json()) as { documents: number; bytes: number };
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const riseMb = (Math.max(peak, live()) - before) / 2 ** 20;
    console.log(
      `corpus of ${((pieces * piece.length) / 2 ** 20).toFixed(0)} MiB over HTTP (${answer.documents} documents): ${response.status} in ${seconds.toFixed(1)} s, live memory (heap + buffers, after a forced collection) rose at most ${riseMb.toFixed(0)} MiB`,
    );
    expect(response.status).toBe(201);
    expect(answer).toMatchObject({ bytes: pieces * piece.length, documents: pieces * 200 });
    expect(riseMb).toBeLessThan(32);
  }, 180_000);
});
