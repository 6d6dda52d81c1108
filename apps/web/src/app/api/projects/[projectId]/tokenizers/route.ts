import type { NextRequest } from 'next/server';
import { proxyUpload } from '@/lib/server/upload-proxy';

// A tokenizer.json (often past the 1 MB a server action accepts) streams to the API, which loads it to check it.
export async function POST(
  request: NextRequest,
  context: RouteContext<'/api/projects/[projectId]/tokenizers'>,
) {
  const { projectId } = await context.params;
  return proxyUpload(request, `/projects/${encodeURIComponent(projectId)}/tokenizers`);
}
