// Sandboxed processor of the train-sae queue (runs in a child process; see child-context.ts).
import type { JobPayload } from '@bilinear-lab/contracts';
import type { SandboxedJob } from 'bullmq';
import { type TrainSaeJobResult, trainSaeJob } from '../handlers/train-sae.js';
import { runJob } from '../jobs/job-run.js';
import { childContext } from './child-context.js';

export default function processTrainSae(
  job: SandboxedJob<JobPayload<'train-sae'>>,
  token?: string,
  signal?: AbortSignal,
): Promise<TrainSaeJobResult | null> {
  return runJob(childContext(), 'train-sae', job, trainSaeJob, { signal, token });
}
