// The shards of a language-model decomposition (DecompositionShard rows): planned once, claimed one
// at a time by the jobs working on the decomposition, and finished in the transaction that stores
// their last output. A claim is a lease the claiming process renews every 10 s while it holds the
// shard: it lapses 30 s after that process dies (or at once when its job has ended: failed,
// cancelled, completed), and another job takes the shard over. A job gets its own claims back
// first, so a retry after a crash continues where its attempt stopped. Leases compare the hosts'
// clocks, which NTP keeps far closer than 30 s.
import { DECOMPOSITION_SHARD_OUTPUTS as SHARD_OUTPUTS } from '@bilinear-lab/contracts';
import type { Database, Prisma } from '@bilinear-lab/db';

/** How long a claim holds without renewal, and how often its holder renews it. */
const LEASE_MS = 30_000;
const RENEW_MS = 10_000;

export interface ClaimedShard {
  index: number;
  /** Positions [first, end) of the decomposition's outputs. */
  first: number;
  end: number;
  /** The first position not stored yet: an earlier claimant may have stored a prefix. */
  todoFirst: number;
}

export class DecompositionShards {
  /** Shards this process holds, renewed by the timer until finished or closed. */
  private readonly held = new Set<number>();
  private renewal: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly decompositionId: string,
    private readonly jobId: string,
    /** The decomposition's output indices in their canonical order: positions index them. */
    private readonly outputs: readonly number[],
  ) {}

  /** Creates the shard rows unless another job already has (the split is fixed by the outputs). */
  async plan(): Promise<void> {
    const count = Math.ceil(this.outputs.length / SHARD_OUTPUTS);
    await this.db.decompositionShard.createMany({
      data: Array.from({ length: count }, (_, index) => ({
        decompositionId: this.decompositionId,
        index,
        first: index * SHARD_OUTPUTS,
        count: Math.min(SHARD_OUTPUTS, this.outputs.length - index * SHARD_OUTPUTS),
      })),
      skipDuplicates: true,
    });
  }

  /**
   * The next shard this job may work on, claimed: its own first, then free ones, then lapsed ones.
   * A claimed shard whose outputs were all stored is finished on the spot and the search goes on.
   * Null when every unfinished shard is held by a live job.
   */
  async claim(): Promise<ClaimedShard | null> {
    const { db, decompositionId, jobId } = this;
    const open = await db.decompositionShard.findMany({
      where: { decompositionId, finishedAt: null },
      orderBy: { index: 'asc' },
    });
    const others = [
      ...new Set(open.map((shard) => shard.claimedBy).filter((id) => id !== null && id !== jobId)),
    ];
    const ended =
      others.length === 0
        ? []
        : (
            await db.job.findMany({
              where: { id: { in: others as string[] }, status: { in: ['failed', 'cancelled', 'completed'] } },
              select: { id: true },
            })
          ).map((job) => job.id);
    const now = new Date();
    const mine = open.filter((shard) => shard.claimedBy === jobId);
    const rest = open.filter((shard) => shard.claimedBy !== jobId);
    for (const shard of [...mine, ...rest]) {
      const free =
        shard.claimedBy === null ||
        shard.claimedBy === jobId ||
        ended.includes(shard.claimedBy) ||
        (shard.leaseUntil !== null && shard.leaseUntil < now);
      if (!free) continue;
      // The condition again in the update: of two jobs after the same shard, one gets it.
      const taken = await db.decompositionShard.updateMany({
        where: {
          decompositionId,
          index: shard.index,
          finishedAt: null,
          OR: [
            { claimedBy: null },
            { claimedBy: jobId },
            { leaseUntil: { lt: now } },
            ...(ended.length > 0 ? [{ claimedBy: { in: ended } }] : []),
          ],
        },
        data: { claimedBy: jobId, leaseUntil: new Date(Date.now() + LEASE_MS) },
      });
      if (taken.count !== 1) continue;
      this.hold(shard.index);
      const end = shard.first + shard.count;
      const todoFirst = await this.firstUnstored(shard.first, end);
      if (todoFirst < end) return { index: shard.index, first: shard.first, end, todoFirst };
      await this.finish(db, { index: shard.index, first: shard.first, end, todoFirst });
    }
    return null;
  }

  /** Marks the shard done (inside the transaction that stores its last output). */
  async finish(tx: Prisma.TransactionClient | Database, shard: ClaimedShard): Promise<void> {
    await tx.decompositionShard.updateMany({
      where: { decompositionId: this.decompositionId, index: shard.index },
      data: { finishedAt: new Date(), leaseUntil: null },
    });
    this.held.delete(shard.index);
  }

  /** Stops renewing: what is still held lapses (the job ended without finishing it). */
  close(): void {
    this.held.clear();
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = null;
  }

  unfinished(): Promise<number> {
    return this.db.decompositionShard.count({
      where: { decompositionId: this.decompositionId, finishedAt: null },
    });
  }

  storedCount(): Promise<number> {
    return this.db.spectrum.count({ where: { decompositionId: this.decompositionId } });
  }

  /** Whether the decomposition is still wanted (a helper stops once it is cancelled or failed). */
  async decompositionGoesOn(tx: Prisma.TransactionClient): Promise<boolean> {
    const row = await tx.decomposition.findUnique({
      where: { id: this.decompositionId },
      select: { status: true },
    });
    return row?.status === 'queued' || row?.status === 'running';
  }

  private hold(index: number): void {
    this.held.add(index);
    this.renewal ??= setInterval(() => void this.renew(), RENEW_MS);
    this.renewal.unref();
  }

  /** One renewal of every held claim; a failed one is retried by the next (the lease outlasts two). */
  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    await this.db.decompositionShard
      .updateMany({
        where: {
          decompositionId: this.decompositionId,
          index: { in: [...this.held] },
          claimedBy: this.jobId,
        },
        data: { leaseUntil: new Date(Date.now() + LEASE_MS) },
      })
      .catch(() => {});
  }

  private async firstUnstored(first: number, end: number): Promise<number> {
    const positions = this.outputs.slice(first, end);
    const stored = new Set(
      (
        await this.db.spectrum.findMany({
          where: { decompositionId: this.decompositionId, outputIndex: { in: positions } },
          select: { outputIndex: true },
        })
      ).map((row) => row.outputIndex),
    );
    let position = first;
    while (position < end && stored.has(this.outputs[position] as number)) position++;
    return position;
  }
}
