// Reads a multipart upload into memory (every upload is validated whole before anything is stored),
// enforcing BILINEAR_UPLOAD_LIMIT_MB over all its files together.
import { textProblem } from '@bilinear-lab/contracts';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError, badRequest, payloadTooLarge } from '../errors.js';

export interface UploadedFile {
  /** The multipart field it came in. */
  field: string;
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
  options: { limitMb: number; maxFiles: number; fileFields?: readonly string[] },
): Promise<Upload> {
  const fileFields = options.fileFields ?? [FILE_FIELD];
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
      const fileName = checkedFileName(part);
      if (!fileFields.includes(part.fieldname)) {
        part.file.resume();
        throw badRequest(
          'unexpected-field',
          `a file came in the field "${part.fieldname}"; send files in the field${fileFields.length === 1 ? '' : 's'} ${fileFields.map((field) => `"${field}"`).join(', ')}`,
        );
      }
      const bytes = await part.toBuffer();
      total += bytes.byteLength;
      if (total > limitBytes) throw tooLarge();
      upload.files.push({ field: part.fieldname, fileName, bytes });
    }
  } catch (error) {
    throw multipartProblem(error, {
      tooLarge,
      tooManyFiles: `at most ${options.maxFiles} file${options.maxFiles === 1 ? '' : 's'} in the field "${FILE_FIELD}"`,
      received: upload.files.map((file) => file.fileName),
    });
  }
  return upload;
}

/** A file part's name, refused (400, the part drained) when it is not text we can store and echo. */
export function checkedFileName(part: MultipartFile): string {
  const fileName = part.filename || 'upload';
  const problem = textProblem(fileName);
  if (problem !== null) {
    part.file.resume();
    throw badRequest('invalid-file-name', `the file name ${JSON.stringify(fileName)} ${problem}`, {
      field: part.fieldname,
      fileName,
    });
  }
  return fileName;
}

/**
 * What went wrong while reading a multipart body, in the API's words: limits passed, a body cut
 * short, a body that is not multipart. Errors of our own (AppError) and unexpected ones pass through.
 */
export function multipartProblem(
  error: unknown,
  context: { tooLarge: () => AppError; tooManyFiles: string; received: string[] },
): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return context.tooLarge();
  if (code === 'FST_FILES_LIMIT') return badRequest('too-many-files', context.tooManyFiles);
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return badRequest('too-many-parts', 'the upload has more parts or fields than this route accepts');
  }
  if (TRUNCATED.test((error as Error).message ?? '')) {
    return badRequest(
      'invalid-multipart',
      'the multipart body ended before its closing boundary: the upload was cut short; send it again whole',
      { filesReceived: context.received },
    );
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || (error as Error).message?.includes('Multipart')) {
    return badRequest(
      'invalid-multipart',
      `the multipart body could not be read: ${(error as Error).message}`,
    );
  }
  return error;
}

/** Text fields → an object for a zod schema, with issues reported as body.<field>. */
export function fieldIssues(issues: readonly { path: PropertyKey[]; message: string; code: string }[]) {
  return issues.map((issue) => ({
    path: ['body', ...issue.path.map(String)].join('.'),
    message: issue.message,
    code: issue.code,
  }));
}
