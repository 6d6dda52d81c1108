// The dashboard for a browser test: `next start` on the built app, pointed at a test platform, and
// Debian's chromium driven by playwright-core (`npx playwright install` cannot download browsers here).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { freePort, REPO } from '../platform/harness.js';

export const CHROMIUM = '/usr/bin/chromium';
export const WEB_DIR = join(REPO, 'apps', 'web');
export const ARTIFACTS = join(REPO, 'tests', 'web', 'test-artifacts');

/** Why the browser suite cannot run here, or null when it can. */
export function browserSuiteObstacle(): string | null {
  if (!existsSync(CHROMIUM)) {
    return `no chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` to run the dashboard's browser tests`;
  }
  for (const built of ['apps/api/dist/server.js', 'apps/worker/dist/main.js', 'apps/web/.next/BUILD_ID']) {
    if (!existsSync(join(REPO, built))) return `${built} is missing: run \`npx turbo run build\` first`;
  }
  return null;
}

export interface Dashboard {
  url: string;
  logs(): string;
  stop(): Promise<void>;
}

/** Starts the built dashboard with API_URL pointing at a platform; resolves once it answers. */
export async function startDashboard(apiUrl: string): Promise<Dashboard> {
  const port = await freePort();
  const output: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(REPO, 'node_modules', 'next', 'dist', 'bin', 'next'),
      'start',
      '-p',
      String(port),
      '-H',
      '127.0.0.1',
    ],
    {
      cwd: WEB_DIR,
      env: { ...process.env, API_URL: apiUrl, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
      stdio: 'pipe',
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(`[web] ${chunk}`));
  child.stderr?.on('data', (chunk: Buffer) => output.push(`[web] ${chunk}`));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`${url}/sign-in`)
      .then((response) => response.ok)
      .catch(() => false);
    if (up) break;
    if (child.exitCode !== null)
      throw new Error(`next start exited with ${child.exitCode}:\n${output.join('')}`);
    if (Date.now() > deadline) throw new Error(`the dashboard did not answer in 30 s:\n${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    logs: () => output.join(''),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
