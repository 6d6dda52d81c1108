import type { NextRequest } from 'next/server';
import { env } from '@/lib/env';
import { sessionKey } from '@/lib/session';

// Uploads stream from the browser to the API without being held here (a model or a corpus is past the
// 1 MB a server action accepts), so these writes are route handlers: same-origin only, the session's
// key added, the body and the API's answer passed through untouched.

/** Passes a multipart upload to `apiPath` (under /api/v1) and answers with the API's answer. */
export async function proxyUpload(request: NextRequest, apiPath: string): Promise<Response> {
  const key = await sessionKey();
  if (!key)
    return Response.json({ error: { code: 'unauthenticated', message: 'Sign in first.' } }, { status: 401 });
  // Compared with the Host the browser addressed (as Next does for server actions): nextUrl's origin is
  // the server's own bind address (localhost), which no browser origin matches behind a real name.
  const origin = request.headers.get('origin');
  const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host');
  if (origin && hostOf(origin) !== host) {
    return Response.json(
      { error: { code: 'forbidden', message: 'Cross-site upload refused.' } },
      { status: 403 },
    );
  }
  const headers = new Headers({ authorization: `Bearer ${key}` });
  const contentType = request.headers.get('content-type');
  if (contentType) headers.set('content-type', contentType);
  try {
    const upstream = await fetch(`${env().API_URL}/api/v1${apiPath}${request.nextUrl.search}`, {
      method: 'POST',
      headers,
      body: request.body,
      // Required by fetch to send a stream as the body.
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    return new Response(upstream.body, {
      status: upstream.status,
      headers: { 'content-type': upstream.headers.get('content-type') ?? 'application/json' },
    });
  } catch (error) {
    return Response.json(
      {
        error: {
          code: 'unreachable',
          message: `The platform API does not answer (${(error as Error).message}).`,
        },
      },
      { status: 503 },
    );
  }
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
