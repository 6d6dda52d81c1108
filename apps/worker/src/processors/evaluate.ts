// Sandboxed processor of the evaluate queue (runs in a child process; see child-context.ts).
import type { JobPayload } from '@bilinear-lab/contracts';
import type { SandboxedJob } from 'bullmq';
import { type EvaluateJobResult, evaluateJob } from '../handlers/evaluate.js';
import { runJob } from '../jobs/job-run.js';
import { childContext } from './child-context.js';

export default function processEvaluate(
  job: SandboxedJob<JobPayload<'evaluate'>>,
  token?: string,
  signal?: AbortSignal,
): Promise<EvaluateJobResult | null> {
  return runJob(childContext(), 'evaluate', job, evaluateJob, { signal, token });
}
