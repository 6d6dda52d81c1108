import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import ClosingLineReporter from './scripts/closing-line-reporter.js';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the core's sources, not its build (exact matches: the subpath is its own entry).
    alias: [
      { find: /^@bilinear-lab\/core$/, replacement: source('./packages/core/src/index.ts') },
      { find: /^@bilinear-lab\/core\/testing$/, replacement: source('./packages/core/src/testing/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', new ClosingLineReporter()],
  },
});
