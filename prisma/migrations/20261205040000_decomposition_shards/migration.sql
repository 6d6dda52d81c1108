-- CreateTable
CREATE TABLE "DecompositionShard" (
    "decompositionId" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "first" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,
    "claimedBy" UUID,
    "leaseUntil" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "DecompositionShard_pkey" PRIMARY KEY ("decompositionId","index")
);

-- AddForeignKey
ALTER TABLE "DecompositionShard" ADD CONSTRAINT "DecompositionShard_decompositionId_fkey" FOREIGN KEY ("decompositionId") REFERENCES "Decomposition"("id") ON DELETE CASCADE ON UPDATE CASCADE;
