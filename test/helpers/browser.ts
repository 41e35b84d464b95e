import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { missingTool } from './tools.ts';

/** Debian's chromium (or DISTILLERY_CHROMIUM): playwright-core never downloads a browser. */
export const CHROMIUM = process.env['DISTILLERY_CHROMIUM'] ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? 'chromium';

/** Skip reason when no chromium is installed (fails instead in CI); false when it is. */
export function chromiumSkip(): string | false {
  return missingTool(CHROMIUM, ['--version'], 'apt-get install chromium');
}

/**
 * Starts headless chromium. Runs as root in containers, hence `--no-sandbox`; no network is
 * needed by any page we test (they must work offline).
 *
 * @example
 * const browser = await launchChromium();
 * try { const page = await browser.newPage(); ... } finally { await browser.close(); }
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
}
