import { platform } from '@/lib/platform';
import { ActivationsStartForm, ActivationsView } from './activation-contexts-view';
import { JobProgress } from './job-progress';

/**
 * The top-activating contexts of one output of a language model's decomposition, read from its
 * activations job (the newest completed run): per token highlighted by its value, for the output's
 * direction or one of its stored eigenvectors, with the activation histogram and the low-rank
 * correlation curve. Without a run, a form starts one; while it runs, its live progress.
 */
export async function ActivationContexts({
  decompositionId,
  output,
}: {
  decompositionId: string;
  output: number;
}) {
  const runs = await platform.activationsRuns(decompositionId);
  const completed = runs.find((run) => run.status === 'completed');
  const latest = runs[0];
  let body: React.ReactNode;
  if (completed !== undefined) {
    const page = await platform.activations(decompositionId, completed.id, [output]);
    const stored = page.outputs[0];
    body =
      stored === undefined ? (
        <p className="muted">No contexts stored for output {output} in this run.</p>
      ) : (
        <ActivationsView output={stored} run={completed} />
      );
  } else if (latest !== undefined && (latest.status === 'queued' || latest.status === 'running')) {
    body = (
      <JobProgress
        jobId={latest.jobId}
        status={latest.status}
        error={latest.error}
        canWrite={false}
        what="activations job"
      />
    );
  } else {
    body = (
      <>
        {latest?.error ? <p className="error">The last run failed: {latest.error}</p> : null}
        <ActivationsStartForm decompositionId={decompositionId} />
      </>
    );
  }
  return (
    <section className="stack" aria-labelledby="activation-contexts" data-testid="activation-contexts">
      <h3 id="activation-contexts">Top-activating contexts</h3>
      {body}
    </section>
  );
}
