import { EIGENVECTOR_BLOCK_HEADERS } from '@bilinear-lab/contracts/eigenvector-block';
import type { NextRequest } from 'next/server';
import { env } from '@/lib/env';
import { sessionKey } from '@/lib/session';

// Read-only pass-through from the browser to the platform API with the session's key added on the
// server. Bodies stream through untouched, which is what makes the live curves (server-sent events)
// and the float32 eigenvectors (raw little-endian bytes) work without buffering or re-encoding.
// Writes go through server actions, which Next protects against cross-site requests.

// Not content-length: fetch has already undone any content encoding, so the upstream length may lie.
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'content-disposition',
  'x-total-count',
  // Everything the eigenvector decoder reads (shape, dtype, eigenvalues, the split by sign).
  ...Object.values(EIGENVECTOR_BLOCK_HEADERS),
];

export const dynamic = 'force-dynamic';

export async function GET(request: NextRequest, context: RouteContext<'/api/platform/[...path]'>) {
  const key = await sessionKey();
  if (!key) return errorResponse(401, 'unauthenticated', 'Sign in with an API key first.');
  const { path } = await context.params;
  if (path.some((segment) => segment === '..' || segment === '.')) {
    return errorResponse(400, 'bad-path', 'The path may not contain "." or ".." segments.');
  }
  const target = `${env().API_URL}/api/v1/${path.map(encodeURIComponent).join('/')}${request.nextUrl.search}`;
  const headers = new Headers({ authorization: `Bearer ${key}` });
  const lastEventId = request.headers.get('last-event-id');
  if (lastEventId) headers.set('last-event-id', lastEventId);
  const accept = request.headers.get('accept');
  if (accept) headers.set('accept', accept);

  let upstream: Response;
  try {
    // The browser closing an event stream aborts the request here, which closes the API's stream too.
    upstream = await fetch(target, { headers, signal: request.signal, cache: 'no-store' });
  } catch (error) {
    if (request.signal.aborted) return new Response(null, { status: 499 });
    return errorResponse(
      503,
      'unreachable',
      `The platform API does not answer (${(error as Error).message}).`,
    );
  }

  const responseHeaders = new Headers();
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) responseHeaders.set(name, value);
  }
  const isEventStream = upstream.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
  if (isEventStream) {
    // no-transform keeps Next's compression from buffering the stream; events must arrive as sent.
    responseHeaders.set('cache-control', 'no-cache, no-transform');
    responseHeaders.set('x-accel-buffering', 'no');
  } else {
    responseHeaders.set('cache-control', 'private, no-store');
  }
  return new Response(upstream.body, { status: upstream.status, headers: responseHeaders });
}

function errorResponse(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
