import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH, REPO_ROOT, runCli, temporaryDirectory } from './testing/cli.js';

/** Every module URL `bilinear ...args` resolves, through a module resolve hook in the child. */
function modulesLoadedBy(args: readonly string[], directory: string): string[] {
  writeFileSync(
    join(directory, 'hooks.mjs'),
    [
      'export async function resolve(specifier, context, next) {',
      '  const result = await next(specifier, context);',
      "  process.stderr.write('resolved ' + result.url + '\\n');",
      '  return result;',
      '}',
    ].join('\n'),
  );
  writeFileSync(
    join(directory, 'register.mjs'),
    "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
  );
  const run = spawnSync(process.execPath, ['--import', join(directory, 'register.mjs'), CLI_PATH, ...args], {
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  return [...run.stderr.matchAll(/^resolved (.+)$/gm)].map((match) => match[1] as string);
}

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

  describe('start-up', () => {
    const directory = temporaryDirectory();
    afterAll(() => directory.remove());

    // Every command pays for what the program loads before it parses its arguments: TensorFlow.js
    // (the trainers) and zod (the platform's schemas) are loaded by the commands that use them.
    it('loads neither TensorFlow.js nor zod to print its version', () => {
      const modules = modulesLoadedBy(['--version'], directory.path);
      expect(modules.some((url) => url.endsWith('/packages/cli/dist/main.js'))).toBe(true);
      expect(modules.filter((url) => /\/@tensorflow\/|\/zod\//.test(url))).toEqual([]);
    });
  });
});
