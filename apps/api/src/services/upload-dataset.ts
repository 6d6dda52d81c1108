// POST …/datasets: four IDX files (plain or .gz) validated together, then stored as artifacts with
// a Dataset row; a failure at any point leaves no row and no artifact behind.
import { createHash } from 'node:crypto';
import { DatasetUploadFieldsSchema } from '@bilinear-lab/contracts';
import {
  checkIdxDatasetBytes,
  DatasetError,
  IDX_FILE_NAMES,
  IDX_ROLES,
  type IdxDatasetSummary,
  type IdxRole,
} from '@bilinear-lab/datasets';
import type { Dataset } from '@bilinear-lab/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import { fieldIssues, readUpload, type UploadedFile } from './multipart-upload.js';

const EXPECTED = IDX_ROLES.map((role) => IDX_FILE_NAMES[role]).join(', ');

export async function uploadDataset(
  app: FastifyInstance,
  request: FastifyRequest,
  projectId: string,
  limits: { limitMb: number; expandedLimitBytes: number },
): Promise<Dataset> {
  const upload = await readUpload(request, { limitMb: limits.limitMb, maxFiles: IDX_ROLES.length });
  const fields = DatasetUploadFieldsSchema.safeParse(upload.fields);
  if (!fields.success) {
    const issues = fieldIssues(fields.error.issues);
    throw badRequest('invalid-request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  }
  const files = assignRoles(upload.files);

  let summary: IdxDatasetSummary;
  try {
    summary = await checkIdxDatasetBytes(
      {
        trainImages: { name: files.trainImages.fileName, bytes: files.trainImages.bytes },
        trainLabels: { name: files.trainLabels.fileName, bytes: files.trainLabels.bytes },
        testImages: { name: files.testImages.fileName, bytes: files.testImages.bytes },
        testLabels: { name: files.testLabels.fileName, bytes: files.testLabels.bytes },
      },
      { classes: fields.data.classes, maxBytes: limits.expandedLimitBytes },
    );
  } catch (error) {
    if (error instanceof DatasetError) {
      throw badRequest('invalid-dataset', error.message, { code: error.code, file: error.file ?? null });
    }
    throw error;
  }

  const stored: string[] = [];
  try {
    const artifacts = {} as Record<IdxRole, { id: string; sha256: string }>;
    for (const role of IDX_ROLES) {
      const file = files[role];
      const info = await app.artifacts.put(new Uint8Array(file.bytes), {
        kind: 'idx',
        fileName: file.fileName,
        contentType: file.fileName.endsWith('.gz') ? 'application/gzip' : 'application/octet-stream',
      });
      stored.push(info.id);
      artifacts[role] = info;
    }
    const checksum = createHash('sha256')
      .update(IDX_ROLES.map((role) => artifacts[role].sha256).join(''))
      .digest('hex');
    return await app.db.dataset.create({
      data: {
        projectId,
        name: fields.data.name ?? `idx-${checksum.slice(0, 8)}`,
        checksum,
        metadata: {
          trainCount: summary.trainCount,
          testCount: summary.testCount,
          rows: summary.rows,
          cols: summary.cols,
          classes: summary.classes,
          files: Object.fromEntries(IDX_ROLES.map((role) => [role, artifacts[role].id])),
          fileNames: Object.fromEntries(IDX_ROLES.map((role) => [role, files[role].fileName])),
        },
        trainImagesArtifactId: artifacts.trainImages.id,
        trainLabelsArtifactId: artifacts.trainLabels.id,
        testImagesArtifactId: artifacts.testImages.id,
        testLabelsArtifactId: artifacts.testLabels.id,
      },
    });
  } catch (error) {
    await Promise.all(stored.map((id) => app.artifacts.delete(id))).catch((cleanupError: unknown) =>
      app.log.error({ err: cleanupError }, 'could not remove the artifacts of a failed dataset upload'),
    );
    throw error;
  }
}

/** Which of the four IDX roles each file is, by its name (the `.gz` suffix and folders ignored). */
function assignRoles(files: UploadedFile[]): Record<IdxRole, UploadedFile> {
  const byRole: Partial<Record<IdxRole, UploadedFile>> = {};
  for (const file of files) {
    const base = (file.fileName.split(/[\\/]/).pop() ?? '').replace(/\.gz$/, '');
    const role = IDX_ROLES.find((candidate) => IDX_FILE_NAMES[candidate] === base);
    if (role === undefined) {
      throw badRequest(
        'unknown-file',
        `${file.fileName} is not one of the four IDX files; name the "file" parts ${EXPECTED} (each may end in .gz)`,
      );
    }
    if (byRole[role] !== undefined) {
      throw badRequest('duplicate-file', `${IDX_FILE_NAMES[role]} was uploaded twice`);
    }
    byRole[role] = file;
  }
  const missing = IDX_ROLES.filter((role) => byRole[role] === undefined).map((role) => IDX_FILE_NAMES[role]);
  if (missing.length > 0) {
    throw badRequest(
      'missing-files',
      `missing ${missing.join(', ')}: a dataset needs four "file" parts named ${EXPECTED} (each may end in .gz)`,
      { missing },
    );
  }
  return byRole as Record<IdxRole, UploadedFile>;
}
