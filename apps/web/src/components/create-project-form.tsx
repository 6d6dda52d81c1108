'use client';

import { useActionState } from 'react';
import { type ActionState, createProject } from '@/app/actions';

export function CreateProjectForm() {
  const [state, action, pending] = useActionState<ActionState, FormData>(createProject, {});
  return (
    <form action={action} className="row">
      <label htmlFor="project-name">Name</label>
      <input id="project-name" name="name" type="text" required maxLength={200} />
      <button type="submit" disabled={pending}>
        Create project
      </button>
      {state.error ? (
        <span className="error" role="alert">
          {state.error}
        </span>
      ) : null}
    </form>
  );
}
