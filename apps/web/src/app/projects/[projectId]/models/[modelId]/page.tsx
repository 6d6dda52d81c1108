import { GENERATE_DEFAULTS, GENERATE_MAX_TOKENS } from '@bilinear-lab/contracts';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { DecomposeForm } from '@/components/decompose-form';
import { JobControls } from '@/components/job-controls';
import { LanguageModelDecomposeForm } from '@/components/language-model-decompose-form';
import { LanguageModelSaes } from '@/components/language-model-saes';
import { RunLive } from '@/components/run-live';
import { RunDuration, RunStatusBadge, RunStatusProvider } from '@/components/run-status';
import { SampleText } from '@/components/sample-text';
import { StatusBadge } from '@/components/status-badge';
import { dateTime, number, percent } from '@/lib/format';
import { PlatformError, platform, projectWithRole } from '@/lib/platform';
import type { DecompositionSummary, Job, TrainingMetric, Worker } from '@/lib/types';

export const metadata: Metadata = { title: 'Run' };

export default async function RunPage({ params }: PageProps<'/projects/[projectId]/models/[modelId]'>) {
  const { projectId, modelId } = await params;
  const model = await platform.model(modelId).catch((error: unknown) => {
    if (error instanceof PlatformError && (error.status === 404 || error.status === 400)) notFound();
    throw error;
  });
  if (model.projectId !== projectId) notFound();
  const [project, metrics, decompositions, job, workers] = await Promise.all([
    projectWithRole(projectId),
    platform.metrics(modelId).catch(() => [] as TrainingMetric[]),
    platform.modelDecompositions(modelId).catch(() => [] as DecompositionSummary[]),
    model.jobId ? platform.job(model.jobId).catch(() => null as Job | null) : Promise.resolve(null),
    platform.workers().catch(() => [] as Worker[]),
  ]);
  const canWrite = project?.role === 'owner' || project?.role === 'member';
  const languageModel = (model.config as { kind?: unknown }).kind === 'language-model';
  const saes = languageModel ? await platform.saes(modelId).catch(() => []) : [];
  const worker = job?.workerId ? workers.find((candidate) => candidate.id === job.workerId) : undefined;
  const metricsSummary = (model.metrics ?? {}) as Record<string, unknown>;

  return (
    <RunStatusProvider
      initial={{
        status: job?.status ?? model.status,
        startedAt: job?.startedAt ?? null,
        finishedAt: job?.finishedAt ?? null,
      }}
    >
      <main className="page">
        <div className="spread">
          <h1>
            {model.name} <RunStatusBadge fallback={model.status} />
          </h1>
          {job ? <JobControls jobId={job.id} status={job.status} canWrite={canWrite} /> : null}
        </div>
        <div className="grid-3">
          <section className="panel" aria-labelledby="run-facts">
            <h2 id="run-facts" style={{ marginTop: 0 }}>
              Run
            </h2>
            <dl className="facts">
              <dt>Source</dt>
              <dd>{model.source}</dd>
              <dt>Dataset</dt>
              <dd>{model.dataset ?? '—'}</dd>
              <dt>Test accuracy</dt>
              <dd data-testid="test-accuracy">{percent(model.metrics?.testAccuracy)}</dd>
              <dt>Test loss</dt>
              <dd>{number(metricsSummary.testLoss as number | undefined)}</dd>
              <dt>Samples / s</dt>
              <dd>{number(metricsSummary.samplesPerSecond as number | undefined, 5)}</dd>
              <dt>Backend</dt>
              <dd>{model.backend ?? worker?.backend ?? '—'}</dd>
              <dt>Worker</dt>
              <dd className="mono">{job?.workerId ?? '—'}</dd>
              <dt>Device</dt>
              <dd>{worker?.device ?? '—'}</dd>
              <dt>Attempts</dt>
              <dd>{job ? `${job.attempts} of ${job.maxAttempts}` : '—'}</dd>
              <dt>Created</dt>
              <dd>{dateTime(model.createdAt)}</dd>
              <dt>Duration</dt>
              <dd>{job ? <RunDuration /> : '—'}</dd>
              <dt>Checkpoint</dt>
              <dd>
                {model.status === 'completed' ? (
                  <a
                    href={`/api/platform/models/${encodeURIComponent(model.id)}/checkpoint`}
                    download
                    data-testid="download-checkpoint"
                  >
                    Download the checkpoint
                  </a>
                ) : (
                  '—'
                )}
              </dd>
            </dl>
            {job?.error ? (
              <p className="error" role="alert">
                {job.error}
              </p>
            ) : null}
          </section>
          <section className="panel" aria-labelledby="run-config">
            <h2 id="run-config" style={{ marginTop: 0 }}>
              Config
            </h2>
            {languageModel ? (
              <LanguageModelConfig config={model.config} />
            ) : (
              <ConfigEntries config={model.config} />
            )}
          </section>
          <section className="panel" aria-labelledby="run-decompositions">
            <h2 id="run-decompositions" style={{ marginTop: 0 }}>
              Decompositions
            </h2>
            {decompositions.length === 0 ? (
              <p className="muted">None yet.</p>
            ) : (
              <ul>
                {decompositions.map((decomposition) => (
                  <li key={decomposition.id}>
                    <Link href={`/projects/${projectId}/decompositions/${decomposition.id}`}>
                      {decomposition.parameters.layer !== undefined
                        ? `layer ${decomposition.parameters.layer}, `
                        : ''}
                      top-{decomposition.parameters.topK}
                      {decomposition.parameters.hosvd ? ' + HOSVD' : ''}
                      {decomposition.parameters.adversarial ? ' + adversarial masks' : ''}
                    </Link>{' '}
                    <StatusBadge status={decomposition.status} />
                  </li>
                ))}
              </ul>
            )}
            {canWrite && model.status === 'completed' ? (
              languageModel ? (
                <LanguageModelDecomposeForm
                  projectId={projectId}
                  modelId={modelId}
                  layers={Number((model.config as { layers?: unknown }).layers) || 1}
                  saes={saes}
                />
              ) : (
                <DecomposeForm projectId={projectId} modelId={modelId} />
              )
            ) : model.status !== 'completed' ? (
              <p className="muted">Decompose once the model has a checkpoint.</p>
            ) : null}
          </section>
        </div>
        {languageModel && model.status === 'completed' ? (
          <LanguageModelSaes
            modelId={modelId}
            layers={Number((model.config as { layers?: unknown }).layers) || 1}
            saes={saes}
            evaluation={(metricsSummary.evaluation ?? null) as Record<string, unknown> | null}
            canWrite={canWrite}
          />
        ) : null}
        <RunLive
          jobId={model.jobId}
          status={job?.status ?? model.status}
          initialProgress={job?.progress ?? 0}
          initialMetrics={metrics}
          epochs={Number((model.config as Record<string, unknown>).epochs ?? 0) || null}
          languageModel={languageModel}
        />
        {languageModel && model.status === 'completed' ? (
          <SampleText modelId={modelId} maxTokens={GENERATE_MAX_TOKENS} defaults={GENERATE_DEFAULTS} />
        ) : null}
      </main>
    </RunStatusProvider>
  );
}

function ConfigEntries({ config }: { config: Record<string, unknown> }) {
  return (
    <dl className="facts">
      {Object.entries(config).map(([name, value]) => (
        <div key={name} style={{ display: 'contents' }}>
          <dt>{name}</dt>
          <dd className="mono">{typeof value === 'object' ? JSON.stringify(value) : String(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function numberOr(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A language model's shape at a glance (parameters counted from it); the whole record folded below. */
function LanguageModelConfig({ config }: { config: Record<string, unknown> }) {
  const vocab = numberOr(config.vocabSize);
  const d = numberOr(config.modelDim);
  const hidden = numberOr(config.hiddenDim);
  const layers = numberOr(config.layers);
  const attention = config.attention === true;
  const tokenizer = config.tokenizer as { vocabSize?: unknown } | null | undefined;
  // Embedding and unembedding, and per layer the MLP's W, V (2h × d) and P (d × h), plus qkv and o (4d²).
  const parameters =
    vocab !== null && d !== null && hidden !== null && layers !== null
      ? 2 * vocab * d + layers * (3 * hidden * d + (attention ? 4 * d * d : 0))
      : null;
  const facts: [string, string][] = [
    ['vocabulary', vocab === null ? '—' : String(vocab)],
    ['d_model', d === null ? '—' : String(d)],
    ['d_hidden', hidden === null ? '—' : String(hidden)],
    ['layers', layers === null ? '—' : String(layers)],
    ['attention', attention ? `${numberOr(config.heads) ?? '?'} heads` : 'none (MLP-only)'],
    ['context', numberOr(config.context) === null ? '—' : `${config.context} tokens`],
    ['gate', typeof config.gate === 'string' ? config.gate : '—'],
    ['parameters', parameters === null ? '—' : `${(parameters / 1e6).toFixed(2)} M`],
    [
      'tokenizer',
      tokenizer && typeof tokenizer.vocabSize === 'number' ? `${tokenizer.vocabSize} tokens` : 'none',
    ],
    ['config from', typeof config.configSource === 'string' ? config.configSource : '—'],
  ];
  return (
    <>
      <dl className="facts" data-testid="language-model-config">
        {facts.map(([name, value]) => (
          <div key={name} style={{ display: 'contents' }}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <details>
        <summary>The whole record</summary>
        <ConfigEntries config={config} />
      </details>
    </>
  );
}
