// @bilinear-lab/db: the Prisma client, offline migrations and the artifact store. Nothing else in
// the repository talks to Postgres directly.
export {
  ArtifactError,
  type ArtifactErrorCode,
  type ArtifactInfo,
  type ArtifactSource,
  type ArtifactStore,
  type PutArtifactOptions,
} from './artifacts/artifact-store.js';
export { DEFAULT_CHUNK_BYTES, isUuid, PostgresArtifactStore } from './artifacts/postgres-artifact-store.js';
export { type Database, type DatabaseOptions, openDatabase } from './database.js';
export { isDatabaseUnavailable } from './database-errors.js';
export {
  contextsColumn,
  readContextsColumn,
  type StoredContext,
} from './encoding/activation-contexts.js';
export {
  float32Column,
  float64Column,
  readFloat32Column,
  readFloat64Column,
} from './encoding/float-columns.js';
export {
  type ReadingEntry,
  type RowReading,
  readingsColumn,
  readReadingsColumn,
} from './encoding/reading-columns.js';
export { UNIQUE_KEY_TEXT_LIMIT, uniqueKeyText } from './encoding/unique-key.js';
export * from './generated/prisma/client.js';
export {
  applyMigrations,
  findMigrationsDir,
  MigrationError,
  type MigrationOptions,
  type MigrationResult,
  quoteIdentifier,
} from './migrations/apply-migrations.js';
export { createOwnPostgres, type OwnPostgres } from './testing/own-postgres.js';
export { createTestSchema, type TestSchema } from './testing/test-schema.js';
