// Sandboxed processor of the decompose queue (runs in a child process; see child-context.ts).
import type { JobPayload } from '@bilinear-lab/contracts';
import type { SandboxedJob } from 'bullmq';
import { type DecomposeJobResult, decomposeJob } from '../handlers/decompose.js';
import { runJob } from '../jobs/job-run.js';
import { childContext } from './child-context.js';

export default function processDecompose(
  job: SandboxedJob<JobPayload<'decompose'>>,
  token?: string,
  signal?: AbortSignal,
): Promise<DecomposeJobResult | null> {
  return runJob(childContext(), 'decompose', job, decomposeJob, { signal, token });
}
