/**
 * Projects told apart, and outcomes told once (issue 21, items 3 and 8), in headless Chromium
 * against the real demo hub of with_demo_hub.py: a second launch of the same repository at
 * the same commit reads differently from the first, shows its server name, a stopped one
 * never reads "active …", and deleting it from the open panel says so in the panel, not in
 * a toast.
 */
import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';

const PANEL = '#binder-ext-panel';
const HUB = process.env.BINDER_UI_TESTS_DEMO_URL ?? '';
const ADMIN_TOKEN = process.env.BINDER_UI_TESTS_DEMO_ADMIN_TOKEN ?? '';
const USER = process.env.BINDER_UI_TESTS_HUB_USER ?? '';
// with_demo_hub.py's running project, and a twin of it that this file starts and stops.
const RUNNING = 'octo-org-demo-repo-run00001';
const TWIN = 'octo-org-demo-repo-twin0001';

async function hub(
  request: APIRequestContext,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  data?: unknown
): Promise<any> {
  const response = await request.fetch(`${HUB}hub/api${path}`, {
    method,
    headers: { Authorization: `token ${ADMIN_TOKEN}` },
    data
  });
  expect(response.status(), await response.text()).toBeLessThan(300);
  const text = await response.text(); // 201, 202 and 204 may come without a body
  return text ? JSON.parse(text) : null;
}

async function servers(request: APIRequestContext): Promise<any> {
  const model = await hub(
    request,
    'GET',
    `/users/${USER}?include_stopped_servers=1`
  );
  return model.servers;
}

test.describe('Projects told apart', () => {
  test.beforeAll(async ({ request }) => {
    if (!HUB || !ADMIN_TOKEN || !USER) {
      throw new Error(
        'Run through with_demo_hub.py, which starts the demo hub.'
      );
    }
    // The same launch as the running project (the hub's own record of it), as a second
    // server: one repository, one commit, one .resources. Then stopped, not deleted.
    const options = { ...(await servers(request))[RUNNING].user_options };
    delete options.binder_resources; // the hook records it anew at the spawn
    await hub(request, 'POST', `/users/${USER}/servers/${TWIN}`, options);
    await expect
      .poll(async () => (await servers(request))[TWIN]?.ready, {
        timeout: 180_000
      })
      .toBe(true);
    await hub(request, 'DELETE', `/users/${USER}/servers/${TWIN}`);
    await expect
      .poll(async () => (await servers(request))[TWIN]?.stopped, {
        timeout: 60_000
      })
      .toBe(true);
  });

  test.afterAll(async ({ request }) => {
    if (TWIN in (await servers(request))) {
      await hub(request, 'DELETE', `/users/${USER}/servers/${TWIN}`, {
        remove: true
      });
    }
  });

  test('two launches of one commit read differently, each with its name', async ({
    page
  }) => {
    test.setTimeout(5 * 60 * 1000);
    await page.locator('.jp-BinderExt-status').click();
    const projects = page.locator(`${PANEL} [data-section="projects"]`);
    const running = projects.locator(`[data-project="${RUNNING}"]`);
    const twin = projects.locator(`[data-project="${TWIN}"]`);
    await expect(twin).toBeVisible();
    // Alike but for their names: each card shows its name itself, not only on hover.
    await expect(running.locator('[data-figure="server-name"]')).toHaveText(
      RUNNING
    );
    await expect(twin.locator('[data-figure="server-name"]')).toHaveText(TWIN);
    // What was launched, with the resources and the short name: never the same text.
    const launched = running.locator('[data-figure="launched"]');
    await expect(launched).toContainText('1-2 CPU · 1-4 GB');
    await expect(launched).toContainText('…-run00001');
    await expect(twin.locator('[data-figure="launched"]')).toContainText(
      '…-twin0001'
    );
    expect(await launched.textContent()).not.toBe(
      await twin.locator('[data-figure="launched"]').textContent()
    );
    // Stopped a moment ago: said as stopped, never as "active now".
    await expect(twin.locator('[data-figure="last-active"]')).toHaveText(
      /^stopped, last active /
    );
    await expect(twin.locator('[data-figure="started"]')).toHaveCount(0);
    await expect(running.locator('[data-figure="last-active"]')).toHaveText(
      /^active /
    );
  });

  test('a deletion from the open panel is told in the panel, with no toast', async ({
    page
  }) => {
    await page.locator('.jp-BinderExt-status').click();
    const projects = page.locator(`${PANEL} [data-section="projects"]`);
    const twin = projects.locator(`[data-project="${TWIN}"]`);
    // Any toast shown from now on, even one that closes again before the end.
    await page.evaluate(() => {
      const seen: string[] = ((window as any).__toasts = []);
      new MutationObserver(() => {
        for (const toast of document.querySelectorAll('.jp-toast-message')) {
          seen.push(toast.textContent ?? '');
        }
      }).observe(document.body, { childList: true, subtree: true });
    });
    await twin.locator('[data-action="delete"]').click();
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Delete' })
      .click();
    await expect(twin).toHaveCount(0);
    await expect(
      projects.locator('[data-outcome="project-removed"]')
    ).toContainText(TWIN);
    await page.waitForTimeout(1000); // a toast would be raised with the outcome
    expect(await page.evaluate(() => (window as any).__toasts)).toEqual([]);
  });
});
