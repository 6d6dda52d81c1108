-- AlterTable: a language model's eigenvector readings (tokens or input features), in binary.
ALTER TABLE "Eigenvectors" ADD COLUMN     "readingEntries" INTEGER,
ADD COLUMN     "readingSpace" TEXT,
ADD COLUMN     "readings" BYTEA;
