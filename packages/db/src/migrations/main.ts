#!/usr/bin/env node
// `npm run db:migrate`: apply prisma/migrations to DATABASE_URL (optionally DATABASE_SCHEMA).
import { applyMigrations } from './apply-migrations.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('db:migrate: set DATABASE_URL (postgresql://user@host:port/database)');
  process.exit(2);
}
try {
  const result = await applyMigrations({
    url,
    ...(process.env.DATABASE_SCHEMA ? { schema: process.env.DATABASE_SCHEMA } : {}),
    log: (line) => console.log(`db:migrate: ${line}`),
  });
  console.log(
    `db:migrate: ${result.applied.length} applied, ${result.alreadyApplied.length} already up to date`,
  );
} catch (error) {
  console.error(`db:migrate: ${(error as Error).message}`);
  process.exit(1);
}
