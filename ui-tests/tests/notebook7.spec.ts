/**
 * The Binder panel in Jupyter Notebook 7 (issue 21, item 10), in headless Chromium on the
 * real demo hub: a launched server's Notebook interface (`/user/{user}/{server}/tree`, which
 * a single-user server with the `notebook` package serves), View → Left Sidebar → Show
 * Binder, and the panel filled by the same server answers as in JupyterLab.
 *
 * Plain Playwright, as demo-relaunch.spec.ts: the browser logs into the hub itself.
 */
import { expect, test } from '@playwright/test';
import { deleteServers, logIn } from './demo-hub';

const USER = 'notebook-user';
const PANEL = '#binder-ext-panel';

test.describe('Jupyter Notebook 7', () => {
  test.use({ viewport: { width: 1280, height: 1200 } });

  test.afterEach(async ({ request }) => {
    await deleteServers(request, USER);
  });

  test('View → Left Sidebar → Show Binder opens the panel', async ({
    page
  }) => {
    test.setTimeout(5 * 60 * 1000);
    await logIn(page, USER);
    // BinderHub's `urlpath=tree` opens the Notebook interface of the new server.
    await page.goto('hub/binder/v2/gh/binder-demo/sample/main?urlpath=tree');
    await page.waitForURL(/\/user\/notebook-user\/[^/]+\/tree/, {
      timeout: 180_000
    });

    // Lumino's menus: the bar's items are menuitems; a menu's items are found by label.
    const item = (label: string) =>
      page.locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${label}$`) });
    await page.getByRole('menuitem', { name: 'View' }).click();
    await item('Left Sidebar').hover();
    await item('Show Binder').click();

    const panel = page.locator(PANEL);
    await expect(panel).toBeVisible();
    const launch = panel.locator('[data-section="launch"]');
    await expect(launch.locator('[data-row="repository"]')).toContainText(
      'binder-demo/sample'
    );
    await expect(panel.locator('.jp-BinderExt-loading')).toHaveCount(0, {
      timeout: 30_000
    });
  });
});
