'use client';

import { useActionState } from 'react';
import { type ActionState, trainModel } from '@/app/actions';
import type { TrainingOption } from '@/lib/training-options';

/** Every training option with its default filled in; the API validates again and its messages show per field. */
export function TrainForm({
  projectId,
  options,
  datasets,
}: {
  projectId: string;
  options: TrainingOption[];
  datasets: { id: string; name: string }[];
}) {
  const [state, action, pending] = useActionState<ActionState, FormData>(
    trainModel.bind(null, projectId),
    {},
  );
  return (
    <form action={action} className="stack" aria-describedby="train-intro">
      <p id="train-intro" className="muted">
        Defaults are the reference recipe (one bilinear layer, AdamW, cosine schedule). Hover or read the
        hints for the paper's settings.
      </p>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="train-name">Name (optional)</label>
          <input
            id="train-name"
            name="name"
            type="text"
            maxLength={200}
            placeholder="e.g. d512-wd1-noise0.5"
          />
        </div>
        <div className="field">
          <label htmlFor="train-dataset">Dataset</label>
          <select id="train-dataset" name="dataset" defaultValue="mnist">
            <option value="mnist">MNIST (bundled: 8 000 train / 2 000 test)</option>
            {datasets.map((dataset) => (
              <option key={dataset.id} value={dataset.id}>
                {dataset.name}
              </option>
            ))}
          </select>
        </div>
        {options.map((option) => (
          <OptionField key={option.name} option={option} error={state.fieldErrors?.[option.name]} />
        ))}
      </div>
      {state.error ? (
        <p className="error" role="alert">
          {state.error}
        </p>
      ) : null}
      <div>
        <button type="submit" disabled={pending} data-testid="start-training">
          {pending ? 'Queueing…' : 'Start training'}
        </button>
      </div>
    </form>
  );
}

function OptionField({ option, error }: { option: TrainingOption; error: string | undefined }) {
  const id = `option-${option.name}`;
  const hintId = `${id}-hint`;
  const shownDefault = option.defaultValue === null ? 'none' : String(option.defaultValue);
  const describedBy = error ? `${hintId} ${id}-error` : hintId;
  let control: React.ReactNode;
  if (option.kind === 'boolean') {
    control = (
      <input
        id={id}
        name={option.name}
        type="checkbox"
        defaultChecked={option.defaultValue === true}
        aria-describedby={describedBy}
      />
    );
  } else if (option.kind === 'choice') {
    control = (
      <select
        id={id}
        name={option.name}
        defaultValue={String(option.defaultValue ?? '')}
        aria-describedby={describedBy}
      >
        {option.choices?.map((choice) => (
          <option key={choice}>{choice}</option>
        ))}
      </select>
    );
  } else {
    control = (
      <input
        id={id}
        name={option.name}
        type="number"
        step={option.kind === 'integer' ? 1 : 'any'}
        min={option.minimum}
        max={option.maximum}
        defaultValue={option.defaultValue === null ? '' : String(option.defaultValue)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
      />
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>{option.label}</label>
      {control}
      <span id={hintId} className="hint">
        {option.hint} Default: {shownDefault}.
      </span>
      {error ? (
        <span id={`${id}-error`} className="error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}
