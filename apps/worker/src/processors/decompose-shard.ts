// Sandboxed processor of the decompose-shard queue: shards of a language model's decomposition that
// its decompose job (on another worker) shares out (runs in a child process; see child-context.ts).
import type { JobPayload } from '@bilinear-lab/contracts';
import type { SandboxedJob } from 'bullmq';
import { type DecomposeJobResult, decomposeJob } from '../handlers/decompose.js';
import { runJob } from '../jobs/job-run.js';
import { childContext } from './child-context.js';

export default function processDecomposeShard(
  job: SandboxedJob<JobPayload<'decompose-shard'>>,
  token?: string,
  signal?: AbortSignal,
): Promise<DecomposeJobResult | null> {
  return runJob(childContext(), 'decompose-shard', job, decomposeJob, { signal, token });
}
