/**
 * The demo's browser console stays clean (issue 21, item 7), in headless Chromium on the
 * real demo hub: a fresh page of a newly launched server, a notebook opened and its kernel
 * started, every section of the Binder panel opened and "Refresh all" pressed. Every console
 * error, uncaught page error and failed response is collected: there must be none.
 *
 * Plain Playwright, as demo-relaunch.spec.ts: the browser logs into the hub itself.
 */
import { ConsoleMessage, expect, Page, Response, test } from '@playwright/test';
import { deleteServers, logIn } from './demo-hub';

const USER = 'console-user';
const PANEL = '#binder-ext-panel';

/** Everything the page says went wrong, from now on. */
function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') {
      problems.push(`console: ${message.text()} (${message.location().url})`);
    }
  });
  page.on('pageerror', error => problems.push(`uncaught: ${error.message}`));
  page.on('response', (response: Response) => {
    if (response.status() >= 400) {
      problems.push(`${response.status()} ${response.url()}`);
    }
  });
  page.on('requestfailed', request => {
    // A poll cut short by the test's end is not an error of the page.
    const failure = request.failure()?.errorText ?? '';
    if (!failure.includes('ERR_ABORTED')) {
      problems.push(`failed: ${request.url()} ${failure}`);
    }
  });
  return problems;
}

test.describe('The demo console', () => {
  test.use({ viewport: { width: 1280, height: 1600 } });

  test.afterEach(async ({ request }) => {
    await deleteServers(request, USER);
  });

  test('a fresh page, a notebook and the panel log no error', async ({
    page
  }) => {
    test.setTimeout(5 * 60 * 1000);
    await logIn(page, USER);
    await page.goto('hub/binder/v2/gh/binder-demo/sample/main');
    await page.waitForURL(/\/user\/console-user\/[^/]+\/lab/, {
      timeout: 180_000
    });
    // A fresh page of the new server, watched from its first request.
    const problems = collectProblems(page);
    await page.reload();
    await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
      timeout: 120_000
    });

    // A notebook, with its kernel started (what threw kernel_usage's 404 before).
    await page
      .locator('.jp-LauncherCard[data-category="Notebook"]')
      .first()
      .click();
    await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
    await expect(
      page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
    ).toBeVisible({ timeout: 60_000 });

    // The panel: every section open, then Refresh all.
    await page.locator('.lm-TabBar-tab[data-id="binder-ext-panel"]').click();
    const panel = page.locator(PANEL);
    await expect(panel).toBeVisible();
    const sections = panel.locator('details.jp-BinderExt-section');
    for (let i = 0; i < (await sections.count()); i++) {
      await sections.nth(i).evaluate(node => {
        (node as HTMLDetailsElement).open = true;
      });
    }
    await panel.locator('[data-action="refresh-all"]').click();
    await expect(panel.locator('.jp-BinderExt-loading')).toHaveCount(0, {
      timeout: 30_000
    });
    // Long enough for the pollers of the page (the resource-usage ones ran every 5 s).
    await page.waitForTimeout(12_000);
    expect(problems).toEqual([]);
  });
});
