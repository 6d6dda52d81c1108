// A process that awaits a helper's close() at its top level, as the CLI does, ends normally — also
// when it never yielded between starting the helper and closing it, so that the helper's 'ready'
// message is heard only after close() has begun. That order ended the process with exit 13
// ("unsettled top-level await"): `bilinear decompose` of a small language model, about one run in six.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const directory = mkdtempSync(join(tmpdir(), 'helper-worker-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/**
 * Runs a module (a file: `node -e` keeps an evaluated module's process alive differently) that starts
 * an interaction helper, keeps its own thread busy for `busyMs` — the helper loads and posts 'ready'
 * meanwhile, unheard — and awaits the helper's close() at its top level.
 */
function closeAfterBusyMain(busyMs: number) {
  const script = join(directory, `close-after-${busyMs}.mjs`);
  writeFileSync(
    script,
    `import { InteractionHelper } from ${JSON.stringify(BUILT)};
const helper = InteractionHelper.start();
for (const until = Date.now() + ${busyMs}; Date.now() < until; );
await helper.close();
process.stdout.write('closed');
`,
  );
  return spawnSync(process.execPath, [script], { encoding: 'utf8' });
}

describe('HelperWorker.close', () => {
  it('lets a process awaiting it at its top level finish with exit 0, however late the helper said it was ready', () => {
    for (const busyMs of [0, 100, 400, 1500]) {
      const run = closeAfterBusyMain(busyMs);
      expect(run.stderr).toBe('');
      expect({ busyMs, status: run.status, stdout: run.stdout }).toEqual({
        busyMs,
        status: 0,
        stdout: 'closed',
      });
    }
  }, 30_000);
});
