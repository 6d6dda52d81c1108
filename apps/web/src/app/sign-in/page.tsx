import type { Metadata } from 'next';
import { SignInForm } from './sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

export default function SignInPage() {
  return (
    <main className="page narrow">
      <h1>Sign in</h1>
      <p>
        Paste your API key (it starts with <code>bl_</code>). It is kept on this server in an httpOnly cookie
        and never reaches scripts in your browser.
      </p>
      <SignInForm />
    </main>
  );
}
