import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { env } from './env';

// The user's API key is the session: it lives only in this httpOnly cookie and in server memory while
// a request is forwarded. The browser never reads it.
export const SESSION_COOKIE = 'bilinear_session';
const THIRTY_DAYS_SECONDS = 30 * 24 * 3600;

export async function sessionKey(): Promise<string | null> {
  const store = await cookies();
  return store.get(SESSION_COOKIE)?.value ?? null;
}

/** The key, or a redirect to the sign-in page (server components and actions only). */
export async function requireSessionKey(): Promise<string> {
  const key = await sessionKey();
  if (!key) redirect('/sign-in');
  return key;
}

export async function startSession(key: string): Promise<void> {
  const store = await cookies();
  store.set(SESSION_COOKIE, key, {
    httpOnly: true,
    sameSite: 'lax',
    secure: env().SESSION_COOKIE_SECURE === 'true',
    path: '/',
    maxAge: THIRTY_DAYS_SECONDS,
  });
}

export async function endSession(): Promise<void> {
  const store = await cookies();
  store.delete(SESSION_COOKIE);
}
