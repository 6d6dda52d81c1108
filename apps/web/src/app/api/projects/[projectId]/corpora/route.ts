import type { NextRequest } from 'next/server';
import { proxyUpload } from '@/lib/server/upload-proxy';

// A corpus (.txt / .jsonl, optionally .gz, up to the API's BILINEAR_CORPUS_UPLOAD_LIMIT_MB) streams to
// the API, which checks it line by line as it arrives.
export async function POST(request: NextRequest, context: RouteContext<'/api/projects/[projectId]/corpora'>) {
  const { projectId } = await context.params;
  return proxyUpload(request, `/projects/${encodeURIComponent(projectId)}/corpora`);
}
