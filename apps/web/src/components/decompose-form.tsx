'use client';

import { useActionState } from 'react';
import { type ActionState, decompose } from '@/app/actions';
import { ActionError } from './action-error';

export function DecomposeForm({ projectId, modelId }: { projectId: string; modelId: string }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(
    decompose.bind(null, projectId, modelId),
    {},
  );
  return (
    <form action={action} className="stack" aria-label="New decomposition">
      <div className="row">
        <label htmlFor="decompose-topk">Eigenvectors per sign (top-k)</label>
        <input
          id="decompose-topk"
          name="topK"
          type="number"
          min={1}
          max={256}
          defaultValue={16}
          style={{ width: '5rem' }}
        />
      </div>
      <div className="row">
        <label htmlFor="decompose-truncation">Truncation k</label>
        <input
          id="decompose-truncation"
          name="truncationK"
          type="text"
          defaultValue="1, 2, 4, 8, 16, 32, 64"
        />
      </div>
      <label className="check">
        <input name="hosvd" type="checkbox" />
        <span>Also compute the HOSVD across classes</span>
      </label>
      <label className="check">
        <input name="adversarial" type="checkbox" data-testid="adversarial-checkbox" />
        <span>Adversarial masks (from the top eigenvectors, tested on the test set)</span>
      </label>
      <ActionError state={state} />
      <div>
        <button type="submit" disabled={pending} data-testid="decompose-button">
          {pending ? 'Queueing…' : 'Decompose'}
        </button>
      </div>
    </form>
  );
}
