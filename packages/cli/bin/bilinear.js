#!/usr/bin/env node
// The `bilinear` command that npm links into node_modules/.bin. It is a tracked file, not
// dist/main.js itself, because npm links a workspace's bins during `npm ci`, before any build, and
// silently skips a bin whose file does not exist yet; `npx bilinear` would then ask the registry.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'bilinear: the command line is not built yet: run `npm run build` in the repository first\n',
  );
  process.exit(1);
}
await import(main.href);
