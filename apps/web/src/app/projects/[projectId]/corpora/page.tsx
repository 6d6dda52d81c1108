import type { Metadata } from 'next';
import {
  DeleteCorpusButton,
  LanguageModelTrainForm,
  TrainTokenizerForm,
  UploadForm,
} from '@/components/corpus-forms';
import { dateTime } from '@/lib/format';
import { platform, projectWithRole } from '@/lib/platform';

export const metadata: Metadata = { title: 'Corpora & tokenizers' };

function bytes(count: number | null): string {
  if (count === null) return '—';
  if (count < 1024) return `${count} B`;
  if (count < 1024 ** 2) return `${(count / 1024).toFixed(1)} KiB`;
  if (count < 1024 ** 3) return `${(count / 1024 ** 2).toFixed(1)} MiB`;
  return `${(count / 1024 ** 3).toFixed(2)} GiB`;
}

/** The project's text: uploaded corpora (and the story generator), its tokenizers, and language-model training on them. */
export default async function CorporaPage({ params }: PageProps<'/projects/[projectId]/corpora'>) {
  const { projectId } = await params;
  const [project, corpora, tokenizers] = await Promise.all([
    projectWithRole(projectId),
    platform.corpora(projectId),
    platform.tokenizers(projectId),
  ]);
  const canWrite = project?.role === 'owner' || project?.role === 'member';
  return (
    <main className="page">
      <h1>Corpora &amp; tokenizers</h1>

      <section aria-labelledby="corpora-heading" className="stack">
        <h2 id="corpora-heading">Corpora</h2>
        <table data-testid="corpora-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Dataset</th>
              <th scope="col">Format</th>
              <th scope="col">Documents</th>
              <th scope="col">Size</th>
              <th scope="col">Uploaded</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {corpora.map((corpus) => (
              <tr key={corpus.corpusId}>
                <td>{corpus.name}</td>
                <td>
                  <code>{corpus.dataset}</code>
                </td>
                <td>
                  {corpus.format}
                  {corpus.gzip ? ' (gzip)' : ''}
                  {corpus.field ? `, field "${corpus.field}"` : ''}
                </td>
                <td>{corpus.documents.toLocaleString('en')}</td>
                <td>{bytes(corpus.bytes)}</td>
                <td>{corpus.createdAt ? dateTime(corpus.createdAt) : 'built in'}</td>
                <td className="row">
                  {corpus.builtIn ? null : (
                    <>
                      <a
                        href={`/api/platform/corpora/${corpus.corpusId}/file`}
                        download={corpus.fileName ?? undefined}
                      >
                        Download
                      </a>
                      {canWrite ? <DeleteCorpusButton projectId={projectId} corpus={corpus} /> : null}
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {canWrite ? (
          <UploadForm
            endpoint={`/api/projects/${projectId}/corpora`}
            accept=".txt,.jsonl,.gz,.text"
            fileLabel="Upload a corpus (.txt with documents separated by blank lines or <|endoftext|>, or .jsonl; optionally .gz)"
            idPrefix="corpus"
            fields={[
              { name: 'name', label: 'Name (optional)' },
              { name: 'field', label: 'jsonl: the documents’ field (default "text")', placeholder: 'text' },
            ]}
          />
        ) : (
          <p className="muted">Viewers can read corpora; uploads need the member role.</p>
        )}
      </section>

      <section aria-labelledby="tokenizers-heading" className="stack">
        <h2 id="tokenizers-heading">Tokenizers</h2>
        {tokenizers.length === 0 ? (
          <p className="muted">No tokenizers yet: upload a tokenizer.json or train one on a corpus.</p>
        ) : (
          <table data-testid="tokenizers-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Source</th>
                <th scope="col">Vocabulary</th>
                <th scope="col">Trained on</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokenizers.map((tokenizer) => (
                <tr key={tokenizer.tokenizerId}>
                  <td>{tokenizer.name}</td>
                  <td>{tokenizer.source}</td>
                  <td>{tokenizer.vocabSize.toLocaleString('en')}</td>
                  <td>{tokenizer.dataset ? <code>{tokenizer.dataset}</code> : '—'}</td>
                  <td>{dateTime(tokenizer.createdAt)}</td>
                  <td>
                    <a
                      href={`/api/platform/tokenizers/${tokenizer.tokenizerId}/file`}
                      download="tokenizer.json"
                    >
                      Download
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {canWrite ? (
          <>
            <UploadForm
              endpoint={`/api/projects/${projectId}/tokenizers`}
              accept=".json"
              fileLabel="Upload a tokenizer.json (HF tokenizers format)"
              idPrefix="tokenizer"
              fields={[{ name: 'name', label: 'Name (optional)' }]}
            />
            <TrainTokenizerForm projectId={projectId} corpora={corpora} />
          </>
        ) : null}
      </section>

      {canWrite ? (
        <section aria-labelledby="lm-train-heading" className="stack">
          <h2 id="lm-train-heading">Train a language model</h2>
          <p className="muted">
            A bilinear transformer on the story generator or an uploaded corpus, with a tokenizer trained on
            it or one of the project's. The model's page shows its loss live.
          </p>
          <LanguageModelTrainForm projectId={projectId} corpora={corpora} tokenizers={tokenizers} />
        </section>
      ) : null}
    </main>
  );
}
