-- Corpora uploaded to a project, and tokenizers (uploaded or trained) kept as artifacts (issue 12)

-- CreateTable
CREATE TABLE "Corpus" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "gzip" BOOLEAN NOT NULL,
    "field" TEXT,
    "artifactId" UUID NOT NULL,
    "fileName" TEXT NOT NULL,
    "byteLength" BIGINT NOT NULL,
    "documents" INTEGER NOT NULL,
    "lines" BIGINT NOT NULL,
    "characters" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Corpus_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Tokenizer" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "vocabSize" INTEGER NOT NULL,
    "artifactId" UUID NOT NULL,
    "sha256" TEXT NOT NULL,
    "dataset" TEXT,
    "jobId" UUID,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Tokenizer_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Corpus_projectId_createdAt_idx" ON "Corpus"("projectId", "createdAt");

-- CreateIndex
CREATE INDEX "Tokenizer_projectId_createdAt_idx" ON "Tokenizer"("projectId", "createdAt");

-- AddForeignKey
ALTER TABLE "Corpus" ADD CONSTRAINT "Corpus_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Tokenizer" ADD CONSTRAINT "Tokenizer_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
