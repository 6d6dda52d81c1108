import type { NextRequest } from 'next/server';
import { proxyUpload } from '@/lib/server/upload-proxy';

// Safetensors uploads stream from the browser to the API without being held here: a d = 512 model is
// ≈ 4 MB, past the 1 MB a server action accepts.
export async function POST(
  request: NextRequest,
  context: RouteContext<'/api/projects/[projectId]/models/import'>,
) {
  const { projectId } = await context.params;
  return proxyUpload(request, `/projects/${encodeURIComponent(projectId)}/models/import`);
}
