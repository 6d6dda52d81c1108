// POST …/tokenizers: a tokenizer.json checked by the text package's loadTokenizer (the same reader the
// CLI and the workers use) before it is stored as an artifact with a Tokenizer row; a refusal leaves
// nothing behind.
import { TokenizerUploadFieldsSchema } from '@bilinear-lab/contracts';
import type { Tokenizer } from '@bilinear-lab/db';
import { loadTokenizer } from '@bilinear-lab/text';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import type { Principal } from './access.js';
import { FILE_FIELD, fieldIssues, readUpload } from './multipart-upload.js';

export async function uploadTokenizer(
  app: FastifyInstance,
  request: FastifyRequest,
  principal: Principal,
  projectId: string,
  limitMb: number,
): Promise<Tokenizer> {
  const upload = await readUpload(request, { limitMb, maxFiles: 1 });
  const fields = TokenizerUploadFieldsSchema.safeParse(upload.fields);
  if (!fields.success) {
    const issues = fieldIssues(fields.error.issues);
    throw badRequest('invalid-request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  }
  const file = upload.files[0];
  if (file === undefined) {
    throw badRequest('missing-file', `no tokenizer: send tokenizer.json in the field "${FILE_FIELD}"`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(file.bytes);
  } catch {
    throw badRequest('invalid-tokenizer', `${file.fileName}: not UTF-8 text (a tokenizer.json is JSON)`);
  }
  let vocabSize: number;
  try {
    vocabSize = loadTokenizer(text, file.fileName).vocabSize;
  } catch (error) {
    const message = (error as Error).message;
    throw badRequest(
      'invalid-tokenizer',
      message.startsWith(file.fileName) ? message : `${file.fileName}: ${message}`,
    );
  }
  const artifact = await app.artifacts.put(new Uint8Array(file.bytes), {
    kind: 'tokenizer',
    fileName: file.fileName,
    contentType: 'application/json',
  });
  try {
    return await app.db.tokenizer.create({
      data: {
        projectId,
        name: fields.data.name ?? file.fileName.replace(/\.json$/i, ''),
        source: 'upload',
        vocabSize,
        artifactId: artifact.id,
        sha256: artifact.sha256,
        createdById: principal.userId,
      },
    });
  } catch (error) {
    await app.artifacts.delete(artifact.id).catch(() => {});
    throw error;
  }
}
