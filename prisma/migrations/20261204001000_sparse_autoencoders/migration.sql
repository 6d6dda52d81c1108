-- CreateTable
CREATE TABLE "SparseAutoencoder" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "modelId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "source" "ModelSource" NOT NULL,
    "status" "JobStatus" NOT NULL,
    "layer" INTEGER NOT NULL,
    "hookPoint" TEXT NOT NULL,
    "features" INTEGER NOT NULL,
    "modelDim" INTEGER NOT NULL,
    "k" INTEGER,
    "config" JSONB NOT NULL,
    "checkpointArtifactId" UUID,
    "metrics" JSONB,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SparseAutoencoder_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SparseAutoencoder_modelId_layer_hookPoint_idx" ON "SparseAutoencoder"("modelId", "layer", "hookPoint");

-- CreateIndex
CREATE INDEX "SparseAutoencoder_projectId_idx" ON "SparseAutoencoder"("projectId");

-- AddForeignKey
ALTER TABLE "SparseAutoencoder" ADD CONSTRAINT "SparseAutoencoder_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SparseAutoencoder" ADD CONSTRAINT "SparseAutoencoder_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

