import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { SignOutButton } from '@/components/sign-out-button';
import { platform } from '@/lib/platform';
import { sessionKey } from '@/lib/session';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'bilinear-lab', template: '%s · bilinear-lab' },
  description: 'Train bilinear MLPs, decompose them exactly, read their weights as pictures.',
};

async function signedInUser(): Promise<string | null> {
  if (!(await sessionKey())) return null;
  try {
    const me = await platform.me();
    return me.name;
  } catch {
    return null;
  }
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const user = await signedInUser();
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="top-bar">
          <Link href="/" className="brand">
            bilinear-lab
          </Link>
          <span className="top-bar-spacer" />
          {user ? (
            <>
              <span className="muted" data-testid="signed-in-user">
                Signed in as {user}
              </span>
              <SignOutButton />
            </>
          ) : null}
        </header>
        <div id="main">{children}</div>
      </body>
    </html>
  );
}
