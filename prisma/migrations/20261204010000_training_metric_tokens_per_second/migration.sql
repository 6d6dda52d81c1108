-- AlterTable
ALTER TABLE "TrainingMetric" ADD COLUMN     "tokensPerSecond" DOUBLE PRECISION;

