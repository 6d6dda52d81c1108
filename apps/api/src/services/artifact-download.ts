// A stored file sent as a download: streamed from the artifact store chunk by chunk, with its length,
// a file name that survives any characters, and its SHA-256 for the client to check.
import { Readable } from 'node:stream';
import type { ArtifactInfo } from '@bilinear-lab/db';
import type { FastifyInstance, FastifyReply } from 'fastify';

export function sendArtifact(app: FastifyInstance, reply: FastifyReply, info: ArtifactInfo) {
  return reply
    .header('content-type', 'application/octet-stream')
    .header('content-length', String(info.byteLength))
    .header('content-disposition', contentDisposition(info.fileName))
    .header('x-checksum-sha256', info.sha256)
    .send(Readable.from(app.artifacts.stream(info.id)));
}

/** An attachment header whose file name survives any characters (RFC 6266 / 5987). */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
