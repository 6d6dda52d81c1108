'use client';

import type { CorpusView, TokenizerView } from '@bilinear-lab/contracts';
import { useRouter } from 'next/navigation';
import { type FormEvent, useActionState, useEffect, useState, useTransition } from 'react';
import { type ActionState, deleteCorpus, trainLanguageModel, trainTokenizer } from '@/app/actions';
import { ActionError } from '@/components/action-error';

/**
 * A file upload to one of the dashboard's upload routes, with its progress (bytes sent) and the API's
 * refusal shown as it came (a corpus's names the line). Fields go before the file: the API reads the
 * multipart stream in order and checks the file as it arrives.
 */
export function UploadForm({
  endpoint,
  accept,
  fileLabel,
  idPrefix,
  fields = [],
}: {
  endpoint: string;
  accept: string;
  fileLabel: string;
  idPrefix: string;
  fields?: { name: string; label: string; placeholder?: string }[];
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<{ loaded: number; total: number } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // The upload needs this component's script (progress, the API's message): until it has loaded, a
  // click would submit the form natively and lose both.
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) {
      setError('Choose a file.');
      return;
    }
    const upload = new FormData();
    for (const field of fields) {
      const value = String(form.get(field.name) ?? '').trim();
      if (value) upload.set(field.name, value);
    }
    upload.set('file', file);
    setError(null);
    setDone(null);
    setSent({ loaded: 0, total: file.size });
    // XMLHttpRequest, not fetch: only it reports the upload's progress.
    const request = new XMLHttpRequest();
    request.open('POST', endpoint);
    request.upload.onprogress = (progress) => setSent({ loaded: progress.loaded, total: progress.total });
    request.onerror = () => {
      setSent(null);
      setError('The upload did not reach the dashboard (network error).');
    };
    request.onload = () => {
      setSent(null);
      let body: { name?: string; error?: { message?: string } } | null = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {}
      if (request.status < 200 || request.status >= 300) {
        setError(body?.error?.message ?? `The upload failed (${request.status}).`);
        return;
      }
      setDone(`Uploaded ${body?.name ?? file.name}.`);
      formElement.reset();
      router.refresh();
    };
    request.send(upload);
  }

  const percent = sent && sent.total > 0 ? Math.round((100 * sent.loaded) / sent.total) : 0;
  return (
    <form onSubmit={submit} className="stack" aria-label={fileLabel}>
      <label htmlFor={`${idPrefix}-file`}>{fileLabel}</label>
      <input id={`${idPrefix}-file`} name="file" type="file" accept={accept} required />
      {fields.map((field) => (
        <div key={field.name} className="field">
          <label htmlFor={`${idPrefix}-${field.name}`}>{field.label}</label>
          <input
            id={`${idPrefix}-${field.name}`}
            name={field.name}
            type="text"
            maxLength={200}
            placeholder={field.placeholder}
          />
        </div>
      ))}
      {sent ? (
        <p>
          <progress max={100} value={percent} aria-label="Upload progress" /> {percent} %
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {done ? <output>{done}</output> : null}
      <div>
        <button type="submit" disabled={!ready || sent !== null}>
          {sent ? 'Uploading…' : 'Upload'}
        </button>
      </div>
    </form>
  );
}

export function DeleteCorpusButton({ projectId, corpus }: { projectId: string; corpus: CorpusView }) {
  const [pending, startTransition] = useTransition();
  const [state, setState] = useState<ActionState>({});
  return (
    <>
      <button
        type="button"
        className="secondary"
        disabled={pending}
        onClick={() => {
          if (!window.confirm(`Delete the corpus "${corpus.name}" and its file?`)) return;
          startTransition(async () => setState(await deleteCorpus(projectId, corpus.corpusId)));
        }}
      >
        Delete
      </button>
      <ActionError state={state} />
    </>
  );
}

/** The datasets a language-model job may read: the story generator (a count of stories) and each upload. */
function DatasetSelect({ id, corpora }: { id: string; corpora: CorpusView[] }) {
  return (
    <select id={id} name="dataset" defaultValue="stories:2000">
      <option value="stories:2000">stories:2000 (the bundled generator, 2 000 stories)</option>
      <option value="stories">stories (the bundled generator, 20 000 stories)</option>
      {corpora
        .filter((corpus) => !corpus.builtIn)
        .map((corpus) => (
          <option key={corpus.corpusId} value={corpus.dataset}>
            {corpus.name} ({corpus.documents} documents)
          </option>
        ))}
    </select>
  );
}

export function TrainTokenizerForm({ projectId, corpora }: { projectId: string; corpora: CorpusView[] }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(
    trainTokenizer.bind(null, projectId),
    {},
  );
  return (
    <form action={action} className="stack" aria-label="Train a tokenizer">
      <div className="form-grid">
        <div className="field">
          <label htmlFor="tokenizer-train-dataset">Corpus</label>
          <DatasetSelect id="tokenizer-train-dataset" corpora={corpora} />
        </div>
        <div className="field">
          <label htmlFor="tokenizer-train-vocab">Vocabulary</label>
          <input
            id="tokenizer-train-vocab"
            name="vocab"
            type="number"
            min={8}
            max={65536}
            defaultValue={4096}
          />
          <span className="hint">Tokens, specials included (the reference tokenizer: 4096).</span>
        </div>
        <div className="field">
          <label htmlFor="tokenizer-train-name">Name (optional)</label>
          <input id="tokenizer-train-name" name="name" type="text" maxLength={200} />
        </div>
      </div>
      <ActionError state={state} />
      {state.ok ? <output>Queued: the tokenizer appears below when the job completes.</output> : null}
      <div>
        <button type="submit" disabled={pending}>
          {pending ? 'Queueing…' : 'Train a tokenizer'}
        </button>
      </div>
    </form>
  );
}

const LM_FIELDS = [
  { name: 'layers', label: 'Layers', value: 1 },
  { name: 'dModel', label: 'd_model', value: 64 },
  { name: 'heads', label: 'Heads', value: 2 },
  { name: 'dHidden', label: 'd_hidden', value: 128 },
  { name: 'ctx', label: 'Context', value: 64 },
  { name: 'batchSize', label: 'Batch', value: 16 },
  { name: 'steps', label: 'Steps', value: 500 },
] as const;

export function LanguageModelTrainForm({
  projectId,
  corpora,
  tokenizers,
}: {
  projectId: string;
  corpora: CorpusView[];
  tokenizers: TokenizerView[];
}) {
  const [state, action, pending] = useActionState<ActionState, FormData>(
    trainLanguageModel.bind(null, projectId),
    {},
  );
  return (
    <form action={action} className="stack" aria-label="Train a language model">
      <div className="form-grid">
        <div className="field">
          <label htmlFor="lm-train-dataset">Dataset</label>
          <DatasetSelect id="lm-train-dataset" corpora={corpora} />
        </div>
        <div className="field">
          <label htmlFor="lm-train-tokenizer">Tokenizer</label>
          <select id="lm-train-tokenizer" name="tokenizer" defaultValue="vocab:4096">
            <option value="vocab:4096">train one of 4096 tokens on the dataset</option>
            <option value="vocab:1024">train one of 1024 tokens on the dataset</option>
            {tokenizers.map((tokenizer) => (
              <option key={tokenizer.tokenizerId} value={tokenizer.tokenizerId}>
                {tokenizer.name} ({tokenizer.vocabSize} tokens)
              </option>
            ))}
          </select>
        </div>
        {LM_FIELDS.map((field) => (
          <div key={field.name} className="field">
            <label htmlFor={`lm-train-${field.name}`}>{field.label}</label>
            <input
              id={`lm-train-${field.name}`}
              name={field.name}
              type="number"
              min={1}
              step={1}
              defaultValue={field.value}
              aria-invalid={state.fieldErrors?.[field.name] ? true : undefined}
            />
          </div>
        ))}
        <div className="field">
          <label htmlFor="lm-train-name">Name (optional)</label>
          <input id="lm-train-name" name="name" type="text" maxLength={200} />
        </div>
      </div>
      <ActionError state={state} />
      <div>
        <button type="submit" disabled={pending}>
          {pending ? 'Queueing…' : 'Train the language model'}
        </button>
      </div>
    </form>
  );
}
