// Postgres: the Prisma client (a modest pool: most reads are cached) and the artifact store.
import { type ArtifactStore, type Database, openDatabase, PostgresArtifactStore } from '@bilinear-lab/db';
import { type ApiConfig, tuningOf } from '../env.js';
import { globalPlugin } from './global-plugin.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    artifacts: ArtifactStore;
    /** The Postgres schema holding the tables, for the few raw statements. */
    dbSchema: string;
  }
}

export const dbPlugin = globalPlugin('db', async (app, config: ApiConfig) => {
  const db = openDatabase({
    url: config.databaseUrl,
    maxConnections: tuningOf(config).databaseConnections,
    ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
  });
  app.decorate('db', db);
  app.decorate('artifacts', new PostgresArtifactStore(db));
  app.decorate('dbSchema', config.databaseSchema ?? 'public');
  app.addHook('onClose', async () => {
    await db.$disconnect();
  });
});
