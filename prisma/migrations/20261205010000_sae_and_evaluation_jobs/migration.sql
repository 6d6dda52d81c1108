-- A trained SAE keeps its request and its job
ALTER TABLE "SparseAutoencoder" ADD COLUMN "training" JSONB;
ALTER TABLE "SparseAutoencoder" ADD COLUMN "jobId" UUID;

-- CreateTable
CREATE TABLE "Evaluation" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "modelId" UUID NOT NULL,
    "saeId" UUID,
    "dataset" TEXT NOT NULL,
    "maxTokens" INTEGER NOT NULL,
    "status" "JobStatus" NOT NULL,
    "error" TEXT,
    "jobId" UUID NOT NULL,
    "metrics" JSONB,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "Evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Evaluation_modelId_createdAt_idx" ON "Evaluation"("modelId", "createdAt");

-- CreateIndex
CREATE INDEX "Evaluation_saeId_createdAt_idx" ON "Evaluation"("saeId", "createdAt");

-- AddForeignKey
ALTER TABLE "Evaluation" ADD CONSTRAINT "Evaluation_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Evaluation" ADD CONSTRAINT "Evaluation_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Evaluation" ADD CONSTRAINT "Evaluation_saeId_fkey" FOREIGN KEY ("saeId") REFERENCES "SparseAutoencoder"("id") ON DELETE CASCADE ON UPDATE CASCADE;
