// Sandboxed processor of the train queue (runs in a child process; see child-context.ts).
import type { JobPayload } from '@bilinear-lab/contracts';
import type { SandboxedJob } from 'bullmq';
import { type TrainJobResult, trainJob } from '../handlers/train.js';
import { runJob } from '../jobs/job-run.js';
import { childContext } from './child-context.js';

export default function processTrain(
  job: SandboxedJob<JobPayload<'train'>>,
  token?: string,
  signal?: AbortSignal,
): Promise<TrainJobResult | null> {
  return runJob(childContext(), 'train', job, trainJob, { signal, token });
}
