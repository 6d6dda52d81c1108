// The Postgres artifact store on a real database: round trips of every size around the chunk
// boundary, streamed input, the size limit, corruption detection, and nothing left behind on failure.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../database.js';
import { createTestSchema, type TestSchema } from '../testing/test-schema.js';
import { ArtifactError } from './artifact-store.js';
import { PostgresArtifactStore } from './postgres-artifact-store.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const CHUNK = 1000;

let schema: TestSchema;
let db: Database;
let store: PostgresArtifactStore;

beforeAll(async () => {
  schema = await createTestSchema(DATABASE_URL, 'artifacts');
  db = openDatabase({ url: DATABASE_URL, schema: schema.schema });
  store = new PostgresArtifactStore(db, CHUNK);
});

afterAll(async () => {
  await db.$disconnect();
  await schema.drop();
});

function bytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

async function* pieces(content: Uint8Array, sizes: number[]): AsyncIterable<Uint8Array> {
  let offset = 0;
  for (let i = 0; offset < content.byteLength; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    yield content.subarray(offset, offset + size);
    offset += size;
  }
}

describe('PostgresArtifactStore', () => {
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 17])('round-trips %i bytes', async (length) => {
    const content = bytes(length, length + 1);
    const info = await store.put(content, { kind: 'test', fileName: 'x.bin' });
    expect(info.byteLength).toBe(length);
    expect(info.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(await store.read(info.id)).toEqual(content);
    expect(await db.artifactChunk.count({ where: { artifactId: info.id } })).toBe(Math.ceil(length / CHUNK));
  });

  it('re-chunks a stream of uneven pieces', async () => {
    const content = bytes(4321, 7);
    const info = await store.put(pieces(content, [1, 999, 1500, 3]), { kind: 'test', fileName: 's.bin' });
    expect(await store.read(info.id)).toEqual(content);
    const streamed: number[] = [];
    for await (const chunk of store.stream(info.id)) streamed.push(chunk.byteLength);
    expect(streamed).toEqual([1000, 1000, 1000, 1000, 321]);
  });

  it('rejects content over the limit and leaves no rows', async () => {
    const before = await db.artifact.count();
    const error = await store
      .put(pieces(bytes(3500, 1), [700]), { kind: 'test', fileName: 'big.bin', maxBytes: 2500 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ArtifactError);
    expect((error as ArtifactError).code).toBe('too-large');
    expect((error as Error).message).toContain('big.bin');
    expect(await db.artifact.count()).toBe(before);
    expect(await db.artifactChunk.count({ where: { artifact: { fileName: 'big.bin' } } })).toBe(0);
  });

  it('removes a partly written artifact when its source fails', async () => {
    const before = await db.artifact.count();
    async function* failing(): AsyncIterable<Uint8Array> {
      yield bytes(2500, 3);
      throw new Error('client went away');
    }
    await expect(store.put(failing(), { kind: 'test', fileName: 'gone.bin' })).rejects.toThrow(
      'client went away',
    );
    expect(await db.artifact.count()).toBe(before);
  });

  it('detects a chunk changed behind its back', async () => {
    const info = await store.put(bytes(2500, 9), { kind: 'test', fileName: 'c.bin' });
    await db.artifactChunk.update({
      where: { artifactId_index: { artifactId: info.id, index: 1 } },
      data: { data: bytes(CHUNK, 10) },
    });
    await expect(store.read(info.id)).rejects.toMatchObject({ code: 'corrupt' });
  });

  it('answers not-found for unknown, malformed and deleted ids', async () => {
    expect(await store.info('not-a-uuid')).toBeNull();
    await expect(store.read('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      code: 'not-found',
    });
    const info = await store.put(bytes(10, 1), { kind: 'test', fileName: 'd.bin' });
    await store.delete(info.id);
    expect(await store.info(info.id)).toBeNull();
    expect(await db.artifactChunk.count({ where: { artifactId: info.id } })).toBe(0);
  });
});
