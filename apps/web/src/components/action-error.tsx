import type { ActionState } from '@/app/actions';

/** A form's failed action: the message, and each field's own, for the user to act on. */
export function ActionError({ state }: { state: ActionState }) {
  if (!state.error) return null;
  return (
    <p className="error" role="alert">
      {state.error}{' '}
      {Object.entries(state.fieldErrors ?? {})
        .map(([field, message]) => `${field}: ${message}`)
        .join('; ')}
    </p>
  );
}
