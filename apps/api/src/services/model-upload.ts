// POST …/models/import as it arrives: the checkpoint (the `file` part) streams into the artifact store
// while it uploads, so a language model of hundreds of MB is never held in memory. Its first bytes
// hold the safetensors header, which names the layout (and with it the size limit that applies) and
// states the length the whole file must have: a longer or shorter upload is refused as it ends. The
// small parts beside it — `config` (config.json) and `tokenizer` (tokenizer.json), as files or text
// fields — are read whole, each within its own cap.
import {
  type ModelLayout,
  modelLayoutOf,
  readSafetensorsHead,
  type SafetensorsHeader,
  safetensorsHeaderBytes,
} from '@bilinear-lab/core';
import type { ArtifactInfo, ArtifactStore } from '@bilinear-lab/db';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError, badRequest, payloadTooLarge } from '../errors.js';
import { checkedFileName, FILE_FIELD, multipartProblem } from './multipart-upload.js';

/** The parts of an HF model folder besides the weights, and the most bytes each may have. */
export const MODEL_FOLDER_PARTS = { config: 1 << 20, tokenizer: 32 << 20 } as const;
export type ModelFolderPart = keyof typeof MODEL_FOLDER_PARTS;

export interface ModelUploadLimits {
  /** An image classifier is read back whole to be scored: the API's general upload limit. */
  classifierBytes: number;
  /** A language model only streams through: a limit of its own. */
  languageModelBytes: number;
}

export interface ReceivedModel {
  /** The checkpoint, complete in the store: the caller deletes it when the import fails after all. */
  artifact: ArtifactInfo;
  fileName: string;
  header: SafetensorsHeader;
  layout: ModelLayout;
  /**
   * An image classifier's bytes, kept while they streamed past (it is scored whole, and within the
   * general upload limit); null for a language model, which is never held.
   */
  bytes: Uint8Array<ArrayBuffer> | null;
  /** config.json and tokenizer.json as text, when sent. */
  parts: Record<ModelFolderPart, { fileName: string; text: string } | null>;
  fields: Record<string, string>;
}

export async function receiveModelUpload(
  request: FastifyRequest,
  store: ArtifactStore,
  limits: ModelUploadLimits,
): Promise<ReceivedModel> {
  if (!request.isMultipart()) {
    throw new AppError(
      415,
      'not-multipart',
      `send the model as multipart/form-data: the .safetensors file in the field "${FILE_FIELD}", with "config" (config.json) and "tokenizer" (tokenizer.json) for a language-model folder`,
    );
  }
  const largest = Math.max(limits.classifierBytes, limits.languageModelBytes);
  const parts: ReceivedModel['parts'] = { config: null, tokenizer: null };
  const fields: Record<string, string> = {};
  let checkpoint: Omit<ReceivedModel, 'parts' | 'fields'> | null = null;
  try {
    const iterator = request.parts({
      limits: {
        // The checkpoint's own limit depends on its layout and is enforced from its header; this one
        // only stops a body past every limit.
        fileSize: largest + 1,
        files: 3,
        fields: 20,
        parts: 23,
        fieldSize: MODEL_FOLDER_PARTS.tokenizer,
      },
    });
    for await (const part of iterator) {
      if (part.type === 'field') {
        if (isFolderPart(part.fieldname)) {
          parts[part.fieldname] = { fileName: `${part.fieldname}.json`, text: String(part.value) };
        } else fields[part.fieldname] = String(part.value);
        continue;
      }
      const fileName = checkedFileName(part);
      if (part.fieldname === FILE_FIELD) {
        if (checkpoint !== null) {
          part.file.resume();
          throw badRequest('too-many-files', `one model file in the field "${FILE_FIELD}", not two`);
        }
        checkpoint = await storeCheckpoint(part, fileName, store, limits);
      } else if (isFolderPart(part.fieldname)) {
        parts[part.fieldname] = { fileName, text: await readCapped(part, fileName) };
      } else {
        part.file.resume();
        throw badRequest(
          'unexpected-field',
          `a file came in the field "${part.fieldname}"; send the weights as "${FILE_FIELD}", config.json as "config" and tokenizer.json as "tokenizer"`,
        );
      }
    }
  } catch (error) {
    if (checkpoint !== null) await store.delete(checkpoint.artifact.id).catch(() => {});
    throw multipartProblem(error, {
      tooLarge: () =>
        payloadTooLarge(`the upload is larger than ${megabytes(largest)}, every limit of this server`),
      tooManyFiles: `at most three files: "${FILE_FIELD}", "config" and "tokenizer"`,
      received: checkpoint === null ? [] : [checkpoint.fileName],
    });
  }
  if (checkpoint === null) {
    throw badRequest(
      'missing-file',
      `no model file: send the .safetensors file in the field "${FILE_FIELD}"`,
    );
  }
  return { ...checkpoint, parts, fields };
}

function isFolderPart(name: string): name is ModelFolderPart {
  return Object.hasOwn(MODEL_FOLDER_PARTS, name);
}

async function readCapped(part: MultipartFile, fileName: string): Promise<string> {
  const cap = MODEL_FOLDER_PARTS[part.fieldname as ModelFolderPart];
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of part.file as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > cap) {
      part.file.resume();
      throw payloadTooLarge(`${fileName} (the "${part.fieldname}" part) is larger than ${cap >> 20} MB`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function storeCheckpoint(
  part: MultipartFile,
  fileName: string,
  store: ArtifactStore,
  limits: ModelUploadLimits,
): Promise<Omit<ReceivedModel, 'parts' | 'fields'>> {
  const found: Found = { header: null, layout: 'image-classifier', kept: [] };
  let artifact: ArtifactInfo;
  try {
    artifact = await store.put(checkedStream(part.file, fileName, limits, found), {
      kind: 'checkpoint',
      fileName,
      contentType: 'application/octet-stream',
    });
  } catch (error) {
    part.file.resume();
    throw error;
  }
  if (found.header === null) throw new Error('internal: a checkpoint was stored without its header');
  return {
    artifact,
    fileName,
    header: found.header,
    layout: found.layout,
    bytes: found.layout === 'image-classifier' ? concatenated(found.kept, artifact.byteLength) : null,
  };
}

/** What the stream's header said, and an image classifier's chunks as they passed. */
interface Found {
  header: SafetensorsHeader | null;
  layout: ModelLayout;
  kept: Uint8Array[];
}

/** One buffer that owns its memory (the import hands it to a thread by transfer). */
function concatenated(chunks: readonly Uint8Array[], byteLength: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(byteLength);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/**
 * The upload's bytes as they come, checked against the header at its start: the layout it names and
 * the limit that goes with it, then exactly the length it states.
 */
async function* checkedStream(
  stream: AsyncIterable<Buffer>,
  fileName: string,
  limits: ModelUploadLimits,
  found: Found,
): AsyncIterable<Uint8Array> {
  const invalid = (message: string) => badRequest('invalid-model-file', `${fileName}: ${message}`);
  let head: Buffer[] = [];
  let headBytes = 0;
  let needed = 8;
  let fileLength: number | null = null;
  let received = 0;
  for await (const chunk of stream) {
    received += chunk.length;
    if (fileLength === null) {
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes < needed) continue;
      const bytes = Buffer.concat(head);
      head = [bytes];
      if (needed === 8) {
        needed = judged(() => safetensorsHeaderBytes(bytes), invalid);
        if (headBytes < needed) continue;
      }
      const stated = judged(() => readSafetensorsHead(bytes), invalid);
      found.header = stated.header;
      found.layout = judged(() => modelLayoutOf(stated.header), invalid);
      const keep = found.layout === 'image-classifier';
      const limit = found.layout === 'language-model' ? limits.languageModelBytes : limits.classifierBytes;
      if (stated.fileLength > limit) {
        throw payloadTooLarge(
          `${fileName} is ${megabytes(stated.fileLength)} by its header, more than the ${megabytes(limit)} this server takes for ${found.layout === 'language-model' ? 'a language model (BILINEAR_MODEL_UPLOAD_LIMIT_MB)' : 'an image classifier (BILINEAR_UPLOAD_LIMIT_MB)'}`,
        );
      }
      fileLength = stated.fileLength;
      head = [];
      if (received > fileLength) throw trailing(fileName, fileLength);
      if (keep) found.kept.push(bytes);
      yield bytes;
      continue;
    }
    if (received > fileLength) throw trailing(fileName, fileLength);
    if (found.layout === 'image-classifier') found.kept.push(chunk);
    yield chunk;
  }
  if (fileLength === null) {
    throw invalid(
      `the upload ended after ${received} bytes, before the end of its safetensors header (${needed} bytes): the file is truncated or not safetensors`,
    );
  }
  if (received < fileLength) {
    throw badRequest(
      'invalid-model-file',
      `${fileName}: the upload ended after ${received} of the ${fileLength} bytes its header describes: it was cut short; send it again whole`,
    );
  }
}

function trailing(fileName: string, fileLength: number): AppError {
  return badRequest(
    'invalid-model-file',
    `${fileName}: more bytes than the ${fileLength} its header describes; the safetensors format allows no trailing data`,
  );
}

const FILE_ERRORS = new Set(['SafetensorsError', 'ModelLayoutError']);

/** The value, or the file's own error (not safetensors, no known layout) as a 400 naming the file. */
function judged<T>(read: () => T, invalid: (message: string) => AppError): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof Error && FILE_ERRORS.has(error.name)) throw invalid(error.message);
    throw error;
  }
}

function megabytes(bytes: number): string {
  return `${Number((bytes / 2 ** 20).toFixed(1))} MB`;
}
