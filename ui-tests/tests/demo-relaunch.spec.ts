/**
 * Relaunch with new resources, end to end in the real demo hub (JupyterHub, the demo's
 * BinderHub-style launch links, the hub-side `.resources` hook, servers as local processes),
 * in headless Chromium. with_demo_hub.py starts the hub and exports its URL and admin token.
 *
 * A user logs in, launches the sample repository (its `.resources` asks for meml=4), asks
 * for more RAM than the limit and sees the server's problem, then relaunches with meml=2:
 * only `.resources` changed, so the relaunch starts a new named server of the new commit
 * with the running image (no rebuild), which the new tab opens, with a 2 GB RAM limit.
 *
 * Plain Playwright, not Galata's page fixtures: those assume the plain `jupyter lab` at
 * the `lab` project's baseURL.
 */
import {
  BrowserContext,
  expect,
  Locator,
  Page,
  Request,
  Response,
  test
} from '@playwright/test';
import {
  deleteServers,
  HUB,
  logIn,
  openPanel,
  requireDemoHub
} from './demo-hub';
import * as fs from 'fs';
import * as path from 'path';

// Not the `lab` project's galata-user, whose projects that spec counts.
const USER = 'relaunch-user';
const SAMPLE = 'binder-demo/sample';
const GB = 1024 ** 3;
const PANEL = '#binder-ext-panel';
// The docs use the committed screenshots; a run rewrites them only when asked to
// (BINDER_UPDATE_SCREENSHOTS=1), so `make test` leaves the working tree clean.
const SCREENSHOTS = process.env.BINDER_UPDATE_SCREENSHOTS
  ? path.join(__dirname, '..', 'screenshots')
  : path.join(__dirname, '..', 'test-results', 'screenshots');

// The panel's display rule (labextension/src/format.ts): one decimal, no trailing zero.
const gb = (bytes: number) => String(Number((bytes / GB).toFixed(1)));
const escapeRegExp = (text: string) =>
  text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** An answer of `binder/api/{endPoint}` (JupyterLab adds a cache-busting query). */
function isEndPoint(response: Response, endPoint: string): boolean {
  return new URL(response.url()).pathname.endsWith(`/binder/api/${endPoint}`);
}

function section(panel: Locator, name: string): Locator {
  return panel.locator(`[data-section="${name}"]`);
}

/** `/user/{USER}/{name}/` of the server whose JupyterLab `page` shows. */
function serverBase(page: Page): string {
  const match = new RegExp(
    `^(${escapeRegExp(HUB)}user/${USER}/([^/]+)/)lab`
  ).exec(page.url());
  expect(match, `not a JupyterLab of ${USER}: ${page.url()}`).not.toBeNull();
  return match![1];
}

/**
 * GET one of the server's `binder/api` endpoints as the page does: the browser's cookies,
 * and the server's `_xsrf` cookie echoed in the header JupyterHub checks.
 */
async function serverApi(page: Page, endPoint: string): Promise<any> {
  const base = serverBase(page);
  const basePath = new URL(base).pathname;
  const xsrf = (await page.context().cookies(base)).find(
    cookie => cookie.name === '_xsrf' && basePath.startsWith(cookie.path)
  );
  const response = await page.request.get(`${base}binder/api/${endPoint}`, {
    headers: xsrf ? { 'X-XSRFToken': xsrf.value } : {}
  });
  expect(response.status(), await response.text()).toBe(200);
  return response.json();
}

/** Drag the left sidebar's split handle (as Galata's `sidebar.setWidth` does). */
async function setSidebarWidth(page: Page, width: number): Promise<void> {
  const handle = page
    .locator('#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)')
    .first();
  const box = await handle.boundingBox();
  expect(box).not.toBeNull();
  const y = box!.y + box!.height / 2;
  await page.mouse.move(box!.x + box!.width / 2, y);
  await page.mouse.down();
  // 33 px: the width of the sidebar's tab bar, left of the panel.
  await page.mouse.move(33 + width, y);
  await page.mouse.up();
  await expect
    .poll(async () => (await page.locator(PANEL).boundingBox())?.width)
    .toBeGreaterThan(width - 40);
}

/** Navigation requests of the context, to see what a popup opened first. */
function recordNavigations(context: BrowserContext): Request[] {
  const navigations: Request[] = [];
  context.on('request', request => {
    if (request.isNavigationRequest()) {
      navigations.push(request);
    }
  });
  return navigations;
}

test.describe('Relaunch in the demo hub', () => {
  test.use({ viewport: { width: 1280, height: 2000 } });

  test.beforeAll(requireDemoHub);

  // Every server this test started, the relaunched one included, is deleted: no slot stays.
  test.afterEach(async ({ request }) => {
    await deleteServers(request, USER);
  });

  test('a RAM request above its limit is refused; Relaunch with 2 GB starts a new server from the new commit', async ({
    page,
    context
  }) => {
    // Two servers start (clone, JupyterLab) on a shared two-core machine.
    test.setTimeout(6 * 60 * 1000);
    const navigations = recordNavigations(context);

    await logIn(page, USER);
    // The BinderHub-style launch link: the hub's spawn page, then the new named server.
    await page.goto(`hub/binder/v2/gh/${SAMPLE}/main`);
    await page.waitForURL(
      new RegExp(`^${escapeRegExp(HUB)}user/${USER}/[^/]+/lab`),
      { timeout: 180_000 }
    );
    const first = serverBase(page);
    const panel = await openPanel(page);

    // "Resources" shows the limit the hub set from the sample's meml=4.
    const limits = await serverApi(page, 'limits');
    expect(limits.memory.limit).toBe(4 * GB);
    const memoryLimit = section(panel, 'limits').locator(
      '[data-resource="memory"] [data-figure="limit"]'
    );
    await expect(memoryLimit).toHaveText(gb(limits.memory.limit));
    const launch = await serverApi(page, 'launch');
    expect(`${launch.owner}/${launch.repo}`).toBe(SAMPLE);

    // A RAM request above the RAM limit: the server's problem next to the field, no write.
    const before = await serverApi(page, 'resources');
    expect(before.values.meml).toBe(4);
    const form = section(panel, 'resources');
    await expect(form.locator('[data-figure="resources-text"]')).toHaveText(
      before.text
    );
    await form.locator('input[name="memr"]').fill('8');
    const refusal = page.waitForResponse(
      response =>
        isEndPoint(response, 'resources') &&
        response.request().method() === 'PUT',
      { timeout: 30_000 }
    );
    await form.locator('[data-action="save-resources"]').click();
    const refused = await refusal;
    expect(refused.status()).toBe(400);
    const { problems } = await refused.json();
    const memrProblems = problems.filter((p: any) => p.key === 'memr');
    expect(memrProblems.length).toBeGreaterThan(0);
    for (const problem of memrProblems) {
      expect(problem.message).toContain('meml=4');
      await expect(form.locator('[data-problem="memr"]')).toContainText(
        problem.message
      );
    }
    await expect(form.locator('input[name="memr"]')).toHaveAttribute(
      'aria-invalid',
      'true'
    );
    expect((await serverApi(page, 'resources')).text).toBe(before.text);
    await expect(form.locator('[data-figure="resources-text"]')).toHaveText(
      before.text
    );

    // RAM limit 2 GB (and the request back within it), then Relaunch.
    await form.locator('input[name="memr"]').fill('1');
    await form.locator('input[name="meml"]').fill('2');
    await form.locator('[data-action="relaunch"]').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Relaunch with new resources?');
    const answered = page.waitForResponse(
      response =>
        isEndPoint(response, 'relaunch') &&
        response.request().method() === 'POST',
      { timeout: 120_000 }
    );
    const popupOpened = page.waitForEvent('popup', { timeout: 120_000 });
    await dialog.getByRole('button', { name: 'Relaunch' }).click();
    const answer = await (await answered).json();
    expect(answer.ok, answer.message).toBe(true);
    const sha: string = answer.commit.sha;
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(sha).not.toBe(launch.resolved_ref);
    // Only .resources changed since the image's commit: the relaunch starts the new
    // server itself with the running image, no rebuild (docs/user-guide.md).
    expect(answer.launch.kind).toBe('hub');
    expect(answer.launch.rebuild).toBe(false);
    expect(answer.launch.user_options.image).toBe(launch.image);
    expect(answer.launch.url).toBe(
      `/user/${USER}/${answer.launch.server_name}/`
    );
    const outcome = form.locator('[data-outcome="relaunch"]');
    await expect(outcome).toContainText(sha.slice(0, 8));
    await expect(outcome.locator('a')).toHaveAttribute(
      'href',
      answer.launch.url
    );

    // The new tab opens the new named server's JupyterLab.
    const popup = await popupOpened;
    await popup.waitForURL(
      new RegExp(`^${escapeRegExp(HUB)}user/${USER}/[^/]+/lab`),
      { timeout: 240_000 }
    );
    const opened = navigations.filter(
      request => request.frame().page() === popup
    );
    expect(opened[0].url()).toBe(new URL(answer.launch.url, HUB).href);
    const second = serverBase(popup);
    expect(second).not.toBe(first);
    // Its files are the image's; the extension there moves them to the new commit.
    await expect
      .poll(async () => (await serverApi(popup, 'resources')).values.meml, {
        timeout: 60_000
      })
      .toBe(2);

    const newPanel = await openPanel(popup);
    const newLimits = await serverApi(popup, 'limits');
    expect(newLimits.memory.limit).toBe(2 * GB);
    await expect(
      section(newPanel, 'limits').locator(
        '[data-resource="memory"] [data-figure="limit"]'
      )
    ).toHaveText(gb(newLimits.memory.limit));
    const newLaunch = await serverApi(popup, 'launch');
    expect(newLaunch.resolved_ref).toBe(sha);
    await expect(
      section(newPanel, 'launch').locator('[data-row="commit"]')
    ).toContainText(sha.slice(0, 12));
    const newFile = await serverApi(popup, 'resources');
    expect(newFile.values.meml).toBe(2);
    await expect(
      section(newPanel, 'resources').locator('[data-figure="resources-text"]')
    ).toContainText('meml=2');
    // The first server still runs its own commit with its own limit.
    expect((await serverApi(page, 'limits')).memory.limit).toBe(4 * GB);

    // The screenshot: JupyterLab's default sidebar width, and the sections this flow is
    // not about folded.
    await setSidebarWidth(popup, 250);
    for (const name of ['persistence', 'work', 'ssh']) {
      await section(newPanel, name)
        .locator('.jp-BinderExt-sectionName')
        .click();
      await expect(section(newPanel, name)).not.toHaveAttribute('open');
    }
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await newPanel.locator('.jp-BinderExt-content').screenshot({
      path: path.join(SCREENSHOTS, 'demo-relaunched.png')
    });
  });
});
