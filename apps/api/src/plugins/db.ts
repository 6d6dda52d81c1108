// Postgres: the Prisma client (a modest pool: most reads are cached), the artifact store, and the
// language models' tokenizers read from it.
import { type ArtifactStore, type Database, openDatabase, PostgresArtifactStore } from '@bilinear-lab/db';
import { type ApiConfig, tuningOf } from '../env.js';
import { ModelTokenizers } from '../services/model-tokenizers.js';
import { globalPlugin } from './global-plugin.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    artifacts: ArtifactStore;
    /** Language models' tokenizers, loaded from their artifacts once and kept for the models being read. */
    tokenizers: ModelTokenizers;
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
  const artifacts = new PostgresArtifactStore(db);
  app.decorate('artifacts', artifacts);
  app.decorate('tokenizers', new ModelTokenizers(artifacts));
  app.decorate('dbSchema', config.databaseSchema ?? 'public');
  app.addHook('onClose', async () => {
    await db.$disconnect();
  });
});
