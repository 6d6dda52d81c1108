// Reads a multipart upload into memory (every upload is validated whole before anything is stored),
// enforcing BILINEAR_UPLOAD_LIMIT_MB over all its files together.
import { textProblem } from '@bilinear-lab/contracts';
import type { FastifyRequest } from 'fastify';
import { AppError, badRequest, payloadTooLarge } from '../errors.js';

export interface UploadedFile {
  fileName: string;
  bytes: Buffer;
}

export interface Upload {
  files: UploadedFile[];
  fields: Record<string, string>;
}

export const FILE_FIELD = 'file';

/** busboy's words for a body that stops before the closing boundary (whole body or one part). */
const TRUNCATED = /unexpected end of multipart data/i;

export async function readUpload(
  request: FastifyRequest,
  options: { limitMb: number; maxFiles: number },
): Promise<Upload> {
  if (!request.isMultipart()) {
    throw new AppError(
      415,
      'not-multipart',
      `send the upload as multipart/form-data with the file in the field "${FILE_FIELD}"`,
    );
  }
  const limitBytes = Math.floor(options.limitMb * 1024 * 1024);
  const tooLarge = () =>
    payloadTooLarge(
      `the upload is larger than the limit of ${options.limitMb} MB (BILINEAR_UPLOAD_LIMIT_MB on the server)`,
    );
  const upload: Upload = { files: [], fields: {} };
  let total = 0;
  try {
    const parts = request.parts({
      limits: { fileSize: limitBytes, files: options.maxFiles, fields: 20, parts: options.maxFiles + 20 },
    });
    for await (const part of parts) {
      if (part.type === 'field') {
        // Field values are checked by each route's zod schema; a field *name* is only ever echoed.
        upload.fields[part.fieldname] = String(part.value);
        continue;
      }
      const fileName = part.filename || 'upload';
      const problem = textProblem(fileName);
      if (problem !== null) {
        part.file.resume();
        throw badRequest('invalid-file-name', `the file name ${JSON.stringify(fileName)} ${problem}`, {
          field: part.fieldname,
          fileName,
        });
      }
      if (part.fieldname !== FILE_FIELD) {
        part.file.resume();
        throw badRequest(
          'unexpected-field',
          `a file came in the field "${part.fieldname}"; send files in the field "${FILE_FIELD}"`,
        );
      }
      const bytes = await part.toBuffer();
      total += bytes.byteLength;
      if (total > limitBytes) throw tooLarge();
      upload.files.push({ fileName, bytes });
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
    if (code === 'FST_FILES_LIMIT') {
      throw badRequest(
        'too-many-files',
        `at most ${options.maxFiles} file${options.maxFiles === 1 ? '' : 's'} in the field "${FILE_FIELD}"`,
      );
    }
    if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') {
      throw badRequest('too-many-parts', 'the upload has more parts or fields than this route accepts');
    }
    if (TRUNCATED.test((error as Error).message ?? '')) {
      throw badRequest(
        'invalid-multipart',
        'the multipart body ended before its closing boundary: the upload was cut short; send it again whole',
        { filesReceived: upload.files.map((file) => file.fileName) },
      );
    }
    if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || (error as Error).message?.includes('Multipart')) {
      throw badRequest(
        'invalid-multipart',
        `the multipart body could not be read: ${(error as Error).message}`,
      );
    }
    throw error;
  }
  return upload;
}

/** Text fields → an object for a zod schema, with issues reported as body.<field>. */
export function fieldIssues(issues: readonly { path: PropertyKey[]; message: string; code: string }[]) {
  return issues.map((issue) => ({
    path: ['body', ...issue.path.map(String)].join('.'),
    message: issue.message,
    code: issue.code,
  }));
}
