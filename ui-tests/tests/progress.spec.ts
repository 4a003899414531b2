/**
 * Starts followed in the Projects section, against the real demo hub (with_demo_hub.py):
 * a start slowed by the demo spawner's pretend image pull shows a progress bar with the
 * hub's latest message until it is ready; a start the demo's namespace refuses (its
 * `.resources` asks for more memory than the namespace allows) shows the hub's reason, a
 * plain hint, and "Copy report" gives the service desk's text.
 *
 * The extension's server runs as galata-user (BINDER_UI_TESTS_HUB_*); the hub's admin token
 * starts and deletes the extra projects.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

const HUB = process.env.BINDER_UI_TESTS_DEMO_URL ?? '';
const ADMIN_TOKEN = process.env.BINDER_UI_TESTS_DEMO_ADMIN_TOKEN ?? '';
const STATE = process.env.BINDER_UI_TESTS_DEMO_STATE ?? '';
const USER = process.env.BINDER_UI_TESTS_HUB_USER ?? 'galata-user';
const PANEL = '#binder-ext-panel';
const SLOW = 'octo-org-slow-repo-pgs00001';
const FAILING = 'octo-org-big-repo-pgs00002';

async function hubApi(method: string, apiPath: string, body?: unknown) {
  return fetch(`${HUB}hub/api${apiPath}`, {
    method,
    headers: {
      Authorization: `token ${ADMIN_TOKEN}`,
      'Content-Type': 'application/json'
    },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
}

/** Ask for a server without waiting for the hub's answer (it waits up to 10 s). */
function startServer(name: string, options: Record<string, unknown>): void {
  void hubApi('POST', `/users/${USER}/servers/${name}`, options).catch(
    () => undefined
  );
}

/** The demo spawner's stand-in for a namespace LimitRange (demo/spawner.py). */
function namespaceLimits(memoryGb: number | null): void {
  const file = path.join(STATE, 'namespace-limits.json');
  if (memoryGb === null) {
    fs.rmSync(file, { force: true });
  } else {
    fs.writeFileSync(file, JSON.stringify({ memory_gb: memoryGb }));
  }
}

async function projectsSection(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.sidebar.openTab('binder-ext-panel');
  const panel = page.locator(PANEL);
  await expect(panel).toBeVisible();
  return panel.locator('[data-section="projects"]');
}

test.describe('starts followed from the panel', () => {
  test.beforeAll(() => {
    expect(HUB && STATE, 'run through with_demo_hub.py').toBeTruthy();
  });

  test.afterAll(async () => {
    namespaceLimits(null);
    for (const name of [SLOW, FAILING]) {
      await hubApi('DELETE', `/users/${USER}/servers/${name}`, {
        remove: true
      });
    }
  });

  test('a starting project shows the hub progress until it is ready', async ({
    page
  }) => {
    const projects = await projectsSection(page);
    startServer(SLOW, {
      repo_url: 'https://github.com/octo-org/slow-repo',
      demo_image_pull_seconds: 25
    });
    const row = projects.locator(`[data-project="${SLOW}"]`);
    await expect(async () => {
      await projects.locator('.jp-BinderExt-iconButton').first().click();
      await expect(row).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 30000 });
    const bar = row.getByRole('progressbar', {
      name: 'Starting octo-org/slow-repo'
    });
    await expect(bar).toBeVisible();
    await expect(row.locator('[data-figure="starting-message"]')).toContainText(
      'Pulling image'
    );
    // The bar moves with the hub's events, without waiting for the list's next poll.
    const first = Number(await bar.getAttribute('value'));
    await expect
      .poll(async () => Number(await bar.getAttribute('value')), {
        timeout: 20000
      })
      .toBeGreaterThan(first);
    await expect(row).toHaveAttribute('data-state', 'running', {
      timeout: 60000
    });
    await expect(bar).toHaveCount(0);
  });

  test('a failed start shows the hub reason, a hint and a report', async ({
    page
  }) => {
    const projects = await projectsSection(page);
    // The sample repository's .resources asks for meml=4; the namespace allows 2 GB.
    namespaceLimits(2);
    const answer = await hubApi('POST', `/users/${USER}/servers/${FAILING}`, {
      repo_url: 'https://github.com/octo-org/big-repo'
    });
    namespaceLimits(null);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    const row = projects.locator(`[data-project="${FAILING}"]`);
    await expect(async () => {
      await projects.locator('.jp-BinderExt-iconButton').first().click();
      await expect(row.locator('[data-figure="failure"]')).toBeVisible({
        timeout: 1000
      });
    }).toPass({ timeout: 30000 });
    await expect(row.locator('[data-figure="failure-message"]')).toContainText(
      'is forbidden: maximum memory usage per Container is 2Gi'
    );
    await expect(row.locator('[data-figure="failure-hint"]')).toHaveText(
      /^The memory asked for \(4 GB\) is above this site's maximum of 2 GB\. Lower meml=/
    );
    const report = page.waitForResponse(response =>
      response.url().includes(`/binder/api/projects/${FAILING}/report`)
    );
    await row.locator('[data-action="copy-report"]').click();
    const text: string = (await (await report).json()).text;
    expect(text).toContain(`Server: ${FAILING}`);
    expect(text).toContain('Repository: https://github.com/octo-org/big-repo');
    expect(text).toContain('maximum memory usage per Container is 2Gi');
    expect(text).not.toContain(ADMIN_TOKEN);
    await expect(row.locator('[data-action="copy-report"]')).toBeEnabled();
  });
});
