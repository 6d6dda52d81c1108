// The Worker row: who this worker is (host, backend, device, queues) and that it is alive. The API's
// GET /workers reads it; a heartbeat older than a few intervals means the worker is gone.
import { execFile } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { promisify } from 'node:util';
import type { Database } from '@bilinear-lab/db';
import type { BackendChoice } from '@bilinear-lab/training';
import { describeError, type Logger } from '../log.js';

export interface WorkerIdentity {
  id: string;
  host: string;
  pid: number;
  backend: string;
  device: string;
  concurrency: number;
  queues: string[];
}

const run = promisify(execFile);

/**
 * The device the backend computes on: the adapter the backend named (webgpu: `NVIDIA H200, vulkan`),
 * the GPU's name under tensorflow-gpu, else the CPU model.
 */
export async function describeDevice(choice: BackendChoice): Promise<string> {
  if (choice.device !== null) return choice.device;
  if (choice.name === 'tensorflow-gpu') {
    try {
      const { stdout } = await run('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
        timeout: 5000,
      });
      const names = stdout
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      if (names.length > 0) return names.join(', ');
    } catch {
      // No nvidia-smi in the image: TensorFlow still saw a device, just not its name.
    }
    return 'CUDA GPU';
  }
  const model = cpus()[0]?.model.trim() || 'unknown CPU';
  return `${model} (${availableParallelism()} cores)`;
}

export class WorkerRegistry {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    readonly identity: WorkerIdentity,
    private readonly heartbeatMs: number,
    private readonly log: Logger,
  ) {}

  /** Upserts the row (a restarted worker with a fixed id starts afresh) and starts the heartbeat. */
  async start(): Promise<void> {
    const now = new Date();
    const fields = { ...this.identity, startedAt: now, lastHeartbeatAt: now, stoppedAt: null };
    await this.db.worker.upsert({ where: { id: this.identity.id }, create: fields, update: fields });
    this.timer = setInterval(() => void this.beat(), this.heartbeatMs);
    this.timer.unref();
  }

  /** Stops the heartbeat and records a graceful stop. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const now = new Date();
    await this.db.worker.update({
      where: { id: this.identity.id },
      data: { stoppedAt: now, lastHeartbeatAt: now },
    });
  }

  private async beat(): Promise<void> {
    try {
      await this.db.worker.update({ where: { id: this.identity.id }, data: { lastHeartbeatAt: new Date() } });
    } catch (error) {
      this.log.warn(`heartbeat failed: ${describeError(error)}`);
    }
  }
}
