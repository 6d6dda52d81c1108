// Sandboxed processor of the activations queue (runs in a child process; see child-context.ts).
import type { JobPayload } from '@bilinear-lab/contracts';
import type { SandboxedJob } from 'bullmq';
import { type ActivationsJobResult, activationsJob } from '../handlers/activations.js';
import { runJob } from '../jobs/job-run.js';
import { childContext } from './child-context.js';

export default function processActivations(
  job: SandboxedJob<JobPayload<'activations'>>,
  token?: string,
  signal?: AbortSignal,
): Promise<ActivationsJobResult | null> {
  return runJob(childContext(), 'activations', job, activationsJob, { signal, token });
}
