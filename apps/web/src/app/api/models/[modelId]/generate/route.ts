import type { NextRequest } from 'next/server';
import { PlatformError, platformRequest } from '@/lib/platform';
import { errorResponse } from '@/lib/server/error-response';
import { sessionKey } from '@/lib/session';

// The model page's sample box: the body goes to the API's POST /models/{id}/generate with the
// session's key (the browser never holds it); the API checks it and answers {ids, text} or a 4xx
// that is passed on as it is.
export async function POST(request: NextRequest, context: RouteContext<'/api/models/[modelId]/generate'>) {
  const key = await sessionKey();
  if (!key) return errorResponse(401, 'unauthenticated', 'Sign in first.');
  const body = await request.text();
  if (body.length > 64 * 1024) return errorResponse(413, 'too-large', 'Send at most 64 KiB.');
  const { modelId } = await context.params;
  try {
    const response = await platformRequest(key, `/api/v1/models/${encodeURIComponent(modelId)}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return Response.json(await response.json());
  } catch (error) {
    if (error instanceof PlatformError) {
      return errorResponse(error.status, error.code, error.message, error.details);
    }
    throw error;
  }
}
