import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './testing/cli.js';

describe('bilinear (the program)', () => {
  it('prints help on --help and exits 0', () => {
    const run = runCli(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['train', 'evaluate', 'inspect', 'decompose', 'bench'])
      expect(run.stdout).toContain(command);
  });

  it('prints the package version on --version', () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')) as {
      version: string;
    };
    const run = runCli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });

  it('exits 2 with usage on stderr when no command is given', () => {
    const run = runCli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: bilinear');
  });

  it('exits 2 on an unknown command, suggesting the close one', () => {
    const run = runCli(['decompse', 'x.safetensors']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("bilinear: unknown command 'decompse'");
    expect(run.stderr).toContain('decompose');
  });

  it('exits 2 when bench is given no benchmark', () => {
    expect(runCli(['bench']).code).toBe(2);
  });
});
