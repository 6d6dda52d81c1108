// Prisma CLI configuration for the one offline task it is used for: `npm run migration:diff -w @bilinear-lab/db`
// (writing a new migration's SQL). Prisma 6's wasm schema engine ("js") needs no downloaded binary;
// applying migrations is done by our own runner (src/migrations/), which needs no engine at all.
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: '../../prisma/schema.prisma',
  async adapter() {
    return new PrismaPg({
      connectionString: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    });
  },
});
