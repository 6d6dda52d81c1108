-- Activations jobs: per completed language-model decomposition, top-activating contexts, histograms and
-- low-rank correlation curves over a corpus, one row per output (issue 12).
-- CreateTable
CREATE TABLE "ActivationsRun" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "decompositionId" UUID NOT NULL,
    "parameters" JSONB NOT NULL,
    "parametersKey" TEXT NOT NULL,
    "status" "JobStatus" NOT NULL,
    "jobId" UUID NOT NULL,
    "error" TEXT,
    "positions" INTEGER,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "ActivationsRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ActivationsOutput" (
    "activationsId" UUID NOT NULL,
    "outputIndex" INTEGER NOT NULL,
    "series" JSONB NOT NULL,
    "contexts" BYTEA NOT NULL,
    "histogram" JSONB NOT NULL,
    "correlation" JSONB,

    CONSTRAINT "ActivationsOutput_pkey" PRIMARY KEY ("activationsId","outputIndex")
);

-- CreateIndex
CREATE UNIQUE INDEX "ActivationsRun_jobId_key" ON "ActivationsRun"("jobId");

-- CreateIndex
CREATE INDEX "ActivationsRun_projectId_idx" ON "ActivationsRun"("projectId");

-- CreateIndex
CREATE UNIQUE INDEX "ActivationsRun_decompositionId_parametersKey_key" ON "ActivationsRun"("decompositionId", "parametersKey");

-- AddForeignKey
ALTER TABLE "ActivationsRun" ADD CONSTRAINT "ActivationsRun_decompositionId_fkey" FOREIGN KEY ("decompositionId") REFERENCES "Decomposition"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActivationsOutput" ADD CONSTRAINT "ActivationsOutput_activationsId_fkey" FOREIGN KEY ("activationsId") REFERENCES "ActivationsRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

