// POST …/corpora: a .txt or .jsonl file (optionally .gz) streamed into the artifact store while the
// text package's reader checks it, line by line, as it arrives — the upload is never held in memory.
// A malformed record, a missing field, invalid UTF-8, a broken gzip or an over-long line answers 400
// naming the line; an empty corpus 400; a file over BILINEAR_CORPUS_UPLOAD_LIMIT_MB 413. The artifact
// only completes once the whole file has been read, and is removed on any refusal.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { CorpusUploadFieldsSchema } from '@bilinear-lab/contracts';
import type { ArtifactInfo, ArtifactStore, Corpus } from '@bilinear-lab/db';
import {
  CorpusError,
  type CorpusFormat,
  type CorpusReadOptions,
  type CorpusReadStats,
  corpusFormatOf,
  isGzipName,
  readCorpusStream,
} from '@bilinear-lab/text/read-corpus';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, badRequest, payloadTooLarge } from '../errors.js';
import type { Principal } from './access.js';
import { checkedFileName, FILE_FIELD, fieldIssues, multipartProblem } from './multipart-upload.js';

export interface CorpusUploadLimits {
  /** The file as uploaded (compressed when .gz). */
  limitMb: number;
  maxLineLength: number;
  /** The most text a .gz may expand to. */
  expandedBytes: number;
}

/** What reading the file found: the options it was read with and what it held. */
interface Received {
  artifact: ArtifactInfo;
  fileName: string;
  read: Required<Pick<CorpusReadOptions, 'format' | 'gzip'>> & { field: string | null };
  documents: number;
  stats: CorpusReadStats;
  /**
   * A record the reader refused while it read with the options the name implies, no `format` or
   * `field` having come before the file: one after it may change them (then the file is read again).
   */
  deferred: CorpusError | null;
}

export async function uploadCorpus(
  app: FastifyInstance,
  request: FastifyRequest,
  principal: Principal,
  projectId: string,
  limits: CorpusUploadLimits,
): Promise<Corpus> {
  if (!request.isMultipart()) {
    throw new AppError(
      415,
      'not-multipart',
      `send the corpus as multipart/form-data: the .txt or .jsonl file (optionally .gz) in the field "${FILE_FIELD}"`,
    );
  }
  const limitBytes = Math.floor(limits.limitMb * 1024 * 1024);
  const tooLarge = () =>
    payloadTooLarge(
      `the corpus is larger than the limit of ${limits.limitMb} MB (BILINEAR_CORPUS_UPLOAD_LIMIT_MB on the server)`,
    );
  const fields: Record<string, string> = {};
  let received: Received | null = null;
  try {
    const parts = request.parts({ limits: { fileSize: limitBytes, files: 1, fields: 10, parts: 11 } });
    for await (const part of parts) {
      if (part.type === 'field') {
        fields[part.fieldname] = String(part.value);
        continue;
      }
      const fileName = checkedFileName(part);
      if (part.fieldname !== FILE_FIELD) {
        part.file.resume();
        throw badRequest(
          'unexpected-field',
          `a file came in the field "${part.fieldname}"; send the corpus in the field "${FILE_FIELD}"`,
        );
      }
      // The fields sent before the file say how to read it; any sent after are checked below.
      const given = checkedFields(fields);
      const provisional = given.format === undefined && given.field === undefined;
      received = await receiveCorpus(
        part,
        fileName,
        app.artifacts,
        readOptions(fileName, given),
        limits,
        provisional,
      );
    }
  } catch (error) {
    if (received !== null) await app.artifacts.delete(received.artifact.id).catch(() => {});
    throw multipartProblem(error, {
      tooLarge,
      tooManyFiles: `one corpus file in the field "${FILE_FIELD}"`,
      received: received === null ? [] : [received.fileName],
    });
  }
  if (received === null) {
    throw badRequest(
      'missing-file',
      `no corpus file: send the .txt or .jsonl file (optionally .gz) in the field "${FILE_FIELD}"`,
    );
  }
  const corpus = received;
  try {
    const given = checkedFields(fields);
    const read = readOptions(corpus.fileName, given);
    if (read.format !== corpus.read.format || read.field !== corpus.read.field) {
      // `format` or `field` came after the file: read it again, from the store, as they say.
      const again = await readStored(app.artifacts, corpus.artifact, read, limits);
      Object.assign(corpus, { read, documents: again.documents, stats: again.stats, deferred: null });
    }
    if (corpus.deferred !== null) throw corpusProblem(corpus.deferred);
    if (corpus.documents === 0) {
      throw badRequest(
        'empty-corpus',
        `${corpus.fileName}: no documents (${corpus.stats.lines} lines${corpus.read.format === 'jsonl' ? `, no record with a non-blank "${corpus.read.field}"` : ', all blank'}); a corpus needs at least one`,
      );
    }
    return await app.db.corpus.create({
      data: {
        projectId,
        name: given.name ?? baseName(corpus.fileName),
        format: corpus.read.format,
        gzip: corpus.read.gzip,
        field: corpus.read.field,
        artifactId: corpus.artifact.id,
        fileName: corpus.fileName,
        byteLength: BigInt(corpus.artifact.byteLength),
        documents: corpus.documents,
        lines: BigInt(corpus.stats.lines),
        characters: BigInt(corpus.stats.characters),
        sha256: corpus.artifact.sha256,
        createdById: principal.userId,
      },
    });
  } catch (error) {
    await app.artifacts
      .delete(corpus.artifact.id)
      .catch((cleanupError: unknown) =>
        app.log.error({ err: cleanupError }, 'could not remove the artifact of a refused corpus upload'),
      );
    throw error;
  }
}

function checkedFields(fields: Record<string, string>) {
  const parsed = CorpusUploadFieldsSchema.safeParse(fields);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error.issues);
    throw badRequest('invalid-request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  }
  return parsed.data;
}

function readOptions(
  fileName: string,
  fields: { format?: CorpusFormat | undefined; field?: string | undefined },
): Received['read'] {
  const format = fields.format ?? corpusFormatOf(fileName);
  if (format === 'text' && fields.field !== undefined) {
    throw badRequest(
      'invalid-request',
      `body.field: "field" names the documents' field of a jsonl corpus; ${fileName} is read as text (send format=jsonl, or a .jsonl name)`,
    );
  }
  return { format, gzip: isGzipName(fileName), field: format === 'jsonl' ? (fields.field ?? 'text') : null };
}

/** The file's name without its folders and its .txt / .jsonl / .gz endings. */
function baseName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  return base.replace(/(\.(txt|text|jsonl|json))?(\.gz)?$/i, '') || base;
}

/** A refusal of the corpus reader as the API's 400, naming the file and the line. */
function corpusProblem(error: unknown): unknown {
  if (error instanceof CorpusError) {
    return badRequest('invalid-corpus', error.message, { line: error.line });
  }
  return error;
}

function readerOptions(read: Received['read'], limits: CorpusUploadLimits): CorpusReadOptions {
  return {
    format: read.format,
    gzip: read.gzip,
    ...(read.field === null ? {} : { field: read.field }),
    maxLineLength: limits.maxLineLength,
    maxBytes: limits.expandedBytes,
  };
}

/**
 * The part's bytes into the store and, as they pass, into the corpus reader: the store's put reads
 * them from a generator that stops with the reader's error the moment it has one, and ends only
 * after the reader has accepted the last line (so a refused corpus never completes as an artifact).
 */
async function receiveCorpus(
  part: MultipartFile,
  fileName: string,
  store: ArtifactStore,
  read: Received['read'],
  limits: CorpusUploadLimits,
  provisional: boolean,
): Promise<Received> {
  const stats: CorpusReadStats = { lines: 0, characters: 0, bytes: 0 };
  const input = new PassThrough();
  // Writes after the reader stopped (it destroys its input) must not surface as an unhandled error.
  input.on('error', () => {});
  let documents = 0;
  let failure: { error: unknown } | null = null;
  let deferred: CorpusError | null = null;
  let readerDone = false;
  const reading = (async () => {
    for await (const _ of readCorpusStream(input, fileName, readerOptions(read, limits), stats)) documents++;
  })()
    .catch((error: unknown) => {
      // A record refused under options a later field may change: the rest streams into the store
      // unread, and the upload is refused at its end unless the options change (then read again).
      if (provisional && error instanceof CorpusError && error.kind === 'record') deferred = error;
      else failure = { error };
    })
    .finally(() => {
      readerDone = true;
    });
  const stopIfRefused = () => {
    if (failure !== null) throw (failure as { error: unknown }).error;
  };
  async function* checked(): AsyncGenerator<Uint8Array> {
    for await (const chunk of part.file as AsyncIterable<Buffer>) {
      stopIfRefused();
      if (!readerDone && !input.write(chunk)) {
        await Promise.race([once(input, 'drain').catch(() => {}), reading]);
      }
      stopIfRefused();
      yield chunk;
    }
    input.end();
    await reading;
    stopIfRefused();
  }
  let artifact: ArtifactInfo;
  try {
    artifact = await store.put(checked(), {
      kind: 'corpus',
      fileName,
      contentType: read.gzip
        ? 'application/gzip'
        : read.format === 'jsonl'
          ? 'application/jsonl'
          : 'text/plain',
    });
  } catch (error) {
    input.destroy();
    part.file.resume();
    throw corpusProblem(error);
  }
  return { artifact, fileName, read, documents, stats, deferred };
}

/** A stored corpus read again with other options (fields that came after the file). */
async function readStored(
  store: ArtifactStore,
  artifact: ArtifactInfo,
  read: Received['read'],
  limits: CorpusUploadLimits,
): Promise<{ documents: number; stats: CorpusReadStats }> {
  const stats: CorpusReadStats = { lines: 0, characters: 0, bytes: 0 };
  let documents = 0;
  try {
    for await (const _ of readCorpusStream(
      store.stream(artifact.id),
      artifact.fileName,
      readerOptions(read, limits),
      stats,
    ))
      documents++;
  } catch (error) {
    throw corpusProblem(error);
  }
  return { documents, stats };
}
