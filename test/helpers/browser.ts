// Browser tests: Debian's Chromium (/usr/bin/chromium, installed by .ci/run) driven by
// playwright-core, and screenshots kept under test-results/screenshots/. Tests serve the app as
// `localhost` (fixtures.listen publicHost) so that a provider on 127.0.0.1 is another site and
// cross-site cookie rules apply for real.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags that work on a machine without outside network: no background connections. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/**
 * Why the browser tests cannot run here, or false when they can. Only a developer machine without
 * Chromium skips; in CI (.ci/run installs the browser) a missing browser fails the launch loudly.
 */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM_PATH) || process.env.CI) return false;
  return `${CHROMIUM_PATH} is missing: install Debian's chromium package (apt-get install chromium, as .ci/run does) to run the browser tests`;
}

/** Headless Chromium; playwright gives every launch a new, empty user-data directory. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 15_000 });
}

/** A full-page screenshot at test-results/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
