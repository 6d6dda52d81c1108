'use client';

import { useActionState, useTransition } from 'react';
import { type ActionState, addMember, createKey, removeMember, revokeKey } from '@/app/actions';

function Feedback({ state }: { state: ActionState }) {
  if (state.error) {
    return (
      <p className="error" role="alert">
        {state.error}
      </p>
    );
  }
  if (state.secret) {
    return (
      <div className="secret" role="status">
        <strong>Copy this key now — it is shown only once:</strong>
        <div className="mono" data-testid="new-secret">
          {state.secret}
        </div>
      </div>
    );
  }
  return null;
}

export function AddMemberForm({ projectId }: { projectId: string }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(addMember.bind(null, projectId), {});
  return (
    <form action={action} className="stack" style={{ marginTop: '0.75rem' }}>
      <div className="row">
        <label htmlFor="member-user">User name</label>
        <input id="member-user" name="user" type="text" required maxLength={100} />
        <label htmlFor="member-role">Role</label>
        <select id="member-role" name="role" defaultValue="member">
          <option value="owner">owner</option>
          <option value="member">member</option>
          <option value="viewer">viewer</option>
        </select>
        <button type="submit" disabled={pending}>
          Add member
        </button>
      </div>
      <Feedback state={state} />
    </form>
  );
}

export function CreateKeyForm({ projectId }: { projectId: string }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(createKey.bind(null, projectId), {});
  return (
    <form action={action} className="stack" style={{ marginTop: '0.75rem' }}>
      <div className="row">
        <label htmlFor="key-name">New key name</label>
        <input id="key-name" name="name" type="text" required maxLength={100} />
        <button type="submit" disabled={pending}>
          Create key
        </button>
      </div>
      <Feedback state={state} />
    </form>
  );
}

function ConfirmButton({
  label,
  confirmText,
  run,
}: {
  label: string;
  confirmText: string;
  run: () => Promise<ActionState>;
}) {
  const [pending, start] = useTransition();
  return (
    <button
      type="button"
      className="danger"
      disabled={pending}
      onClick={() => {
        if (!window.confirm(confirmText)) return;
        start(async () => {
          const result = await run();
          if (result.error) window.alert(result.error);
        });
      }}
    >
      {label}
    </button>
  );
}

export function RemoveMemberButton({
  projectId,
  userId,
  name,
}: {
  projectId: string;
  userId: string;
  name: string;
}) {
  return (
    <ConfirmButton
      label="Remove"
      confirmText={`Remove ${name} from this project?`}
      run={() => removeMember(projectId, userId)}
    />
  );
}

export function RevokeKeyButton({
  projectId,
  keyId,
  name,
}: {
  projectId: string;
  keyId: string;
  name: string;
}) {
  return (
    <ConfirmButton
      label="Revoke"
      confirmText={`Revoke the key "${name}"? Programs using it stop working.`}
      run={() => revokeKey(projectId, keyId)}
    />
  );
}
