/**
 * What every spec against the real demo hub shares (with_demo_hub.py starts the hub and
 * exports its URL and admin token): logging a user in through the demo's dummy login form,
 * and the user's named servers, listed and deleted through the hub's admin API.
 */
import { APIRequestContext, expect, Locator, Page } from '@playwright/test';

export const HUB = process.env.BINDER_UI_TESTS_DEMO_URL ?? '';
export const ADMIN_TOKEN = process.env.BINDER_UI_TESTS_DEMO_ADMIN_TOKEN ?? '';
const PANEL = '#binder-ext-panel';

/** Log `user` in through the dummy authenticator (any name, an empty password). */
export async function logIn(page: Page, user: string): Promise<void> {
  await page.goto('hub/login');
  await page.locator('#username_input').fill(user);
  await page.locator('#login_submit').click();
  await page.waitForURL(`${HUB}hub/home`);
}

/** The user's named servers, stopped ones included, as the hub's admin API lists them. */
export async function serverNames(
  request: APIRequestContext,
  user: string
): Promise<string[]> {
  const response = await request.get(
    `${HUB}hub/api/users/${user}?include_stopped_servers=1`,
    { headers: { Authorization: `token ${ADMIN_TOKEN}` } }
  );
  if (response.status() === 404) {
    return [];
  }
  expect(response.status()).toBe(200);
  const model = await response.json();
  return Object.keys(model.servers ?? {}).filter(name => name !== '');
}

/** Delete every named server of `user` and wait until the hub lists none: no slot stays. */
export async function deleteServers(
  request: APIRequestContext,
  user: string
): Promise<void> {
  for (const name of await serverNames(request, user)) {
    const response = await request.delete(
      `${HUB}hub/api/users/${user}/servers/${name}`,
      {
        headers: { Authorization: `token ${ADMIN_TOKEN}` },
        data: { remove: true }
      }
    );
    expect([202, 204]).toContain(response.status());
  }
  await expect
    .poll(() => serverNames(request, user), { timeout: 60_000 })
    .toEqual([]);
}

/** Fail at once, with the way out, when the specs run without the demo hub. */
export function requireDemoHub(): void {
  if (!HUB || !ADMIN_TOKEN) {
    throw new Error(
      'BINDER_UI_TESTS_DEMO_URL / _ADMIN_TOKEN are not set: run the tests through ' +
        'with_demo_hub.py (make test-ui), which starts the demo hub.'
    );
  }
}

/** Open the Binder panel of a launched server's JupyterLab (which may take a while to load). */
export async function openPanel(page: Page): Promise<Locator> {
  const tab = page.locator('.lm-TabBar-tab[data-id="binder-ext-panel"]');
  await expect(tab).toBeVisible({ timeout: 120_000 });
  await tab.click();
  const panel = page.locator(PANEL);
  await expect(panel).toBeVisible();
  return panel;
}
