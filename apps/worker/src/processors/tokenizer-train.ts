// Sandboxed processor of the tokenizer-train queue (runs in a child process; see child-context.ts).
import type { JobPayload } from '@bilinear-lab/contracts';
import type { SandboxedJob } from 'bullmq';
import { type TokenizerTrainResult, trainTokenizerJob } from '../handlers/train-tokenizer.js';
import { runJob } from '../jobs/job-run.js';
import { childContext } from './child-context.js';

export default function processTokenizerTrain(
  job: SandboxedJob<JobPayload<'tokenizer-train'>>,
  token?: string,
  signal?: AbortSignal,
): Promise<TokenizerTrainResult | null> {
  return runJob(childContext(), 'tokenizer-train', job, trainTokenizerJob, { signal, token });
}
