-- AlterTable
ALTER TABLE "Eigenvectors" ADD COLUMN     "readings" JSONB;
