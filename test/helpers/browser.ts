import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (scripts/install-test-browser.sh installs it); override with ESDB_LINKER_CHROMIUM. */
export const CHROMIUM = process.env.ESDB_LINKER_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium closed when the test ends, or undefined (the test is skipped) when none is installed. */
export async function launchChromium(t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    t.skip(`no Chromium at ${CHROMIUM}: run scripts/install-test-browser.sh (or set ESDB_LINKER_CHROMIUM)`);
    return undefined;
  }
  // The machine has no network: without these flags Chromium keeps trying to reach Google's services.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.after(() => browser.close());
  return browser;
}

export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}

/** A field of a link's card on the status page. */
export const field = (page: Page, link: string, name: string) =>
  page.locator(`[data-link="${link}"] [data-field="${name}"]`).first();

/** Polls the element's text until it differs from `before` (the page redraws once a second). */
export async function waitForChange(page: Page, selector: string, before: string): Promise<string> {
  const locator = page.locator(selector).first();
  for (let attempt = 0; attempt < 200; attempt++) {
    const text = (await locator.textContent()) ?? '';
    if (text !== '' && text !== before) return text;
    await page.waitForTimeout(100);
  }
  assert.fail(`${selector} stayed at ${JSON.stringify(before)}`);
}
