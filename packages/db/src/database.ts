// The one way to open the database: a Prisma client on @prisma/adapter-pg (no engine binary to
// download), optionally confined to one Postgres schema (tests use a fresh schema each).
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';

export interface DatabaseOptions {
  /** postgresql://… */
  url: string;
  /** Postgres schema holding the tables; default "public". */
  schema?: string;
  /** Connections in the pool; default 10. */
  maxConnections?: number;
}

export type Database = PrismaClient;

export function openDatabase(options: DatabaseOptions): Database {
  const adapter = new PrismaPg(
    { connectionString: options.url, max: options.maxConnections ?? 10 },
    options.schema ? { schema: options.schema } : undefined,
  );
  return new PrismaClient({ adapter });
}
