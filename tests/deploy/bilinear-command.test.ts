// The `bilinear` command a fresh clone gets from `npm ci && npm run build`: npm links the CLI
// package's bin into node_modules/.bin, and `npx bilinear` runs that local one, never a registry
// package of the same name.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI_PACKAGE = join(REPO, 'packages', 'cli');
const { bin } = JSON.parse(readFileSync(join(CLI_PACKAGE, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
};
const built = existsSync(join(CLI_PACKAGE, 'dist', 'main.js'));
if (!built) console.warn('tests/deploy/bilinear-command.test.ts: packages/cli is not built (npm run build)');

describe('the bilinear command', () => {
  it('is a tracked, executable file with a node shebang, so that npm ci links it before any build', () => {
    const target = bin.bilinear ?? '';
    expect(target).not.toMatch(/^(\.\/)?dist\//);
    const path = join('packages', 'cli', target.replace(/^\.\//, ''));
    const listed = spawnSync('git', ['ls-files', '--stage', '--', path], { cwd: REPO, encoding: 'utf8' });
    expect(listed.stdout).toMatch(/^100755 /);
    expect(readFileSync(join(REPO, path), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it.skipIf(!built)('runs from node_modules/.bin with --help: exit 0 and the usage', () => {
    const result = spawnSync(join(REPO, 'node_modules', '.bin', 'bilinear'), ['--help'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: bilinear \[options\] \[command\]/);
    expect(result.stdout).toMatch(/decompose \[options\] <model>/);
  });

  it.skipIf(!built)('is what npx runs from the repository, without asking the registry', () => {
    // --no: npx fails rather than installing a package when no local bin matches.
    const result = spawnSync('npx', ['--no', 'bilinear', 'inspect', '--help'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: bilinear inspect/);
  });
});
