'use client';

import { useActionState } from 'react';
import { type ActionState, signIn } from '../actions';

export function SignInForm() {
  const [state, action, pending] = useActionState<ActionState, FormData>(signIn, {});
  return (
    <form action={action} className="stack">
      <label htmlFor="key">API key</label>
      <input
        id="key"
        name="key"
        type="password"
        autoComplete="off"
        required
        aria-invalid={state.error ? true : undefined}
        aria-describedby={state.error ? 'sign-in-error' : undefined}
      />
      {state.error ? (
        <p id="sign-in-error" className="error" role="alert">
          {state.error}
        </p>
      ) : null}
      <button type="submit" disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
