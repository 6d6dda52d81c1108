-- AlterTable: a residual block's linear term, per output and space.
ALTER TABLE "Eigenvectors" ADD COLUMN     "linearTerm" BYTEA;

-- Spectra were stored ascending; every reader now takes them most positive first (REFERENCE.md §3),
-- so reverse the float64 values of the rows already stored.
UPDATE "Spectrum"
SET "eigenvalues" = (
  SELECT string_agg(substring("eigenvalues" FROM i * 8 + 1 FOR 8), ''::bytea ORDER BY i DESC)
  FROM generate_series(0, "dimension" - 1) AS i
)
WHERE "dimension" > 0;
