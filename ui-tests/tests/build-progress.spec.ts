/**
 * A relaunch that needs BinderHub's build, followed in the panel, against the real demo hub
 * (with_demo_hub.py) and its stand-in for BinderHub's build event stream
 * (jupyter_binder_ext/demo/build_stream.py), in headless Chromium.
 *
 * A user launches a repository of their own through the demo's BinderHub-style link, commits
 * a change to a file other than `.resources` (so the new commit needs a new image), and
 * relaunches from the panel: the server follows BinderHub's build, the panel shows its phase
 * and last log lines, "Show the whole log" opens the whole log, and the project the build
 * starts shows its progress bar until it is ready. A requirement the demo's build cannot
 * install (`demo-build-fails`, demo/builds.py) fails the build: the panel shows BinderHub's
 * reason, a plain hint naming the file and line, and "Copy report" gives the service desk's
 * text.
 *
 * Plain Playwright, not Galata's page fixtures: those assume the plain `jupyter lab` at
 * the `lab` project's baseURL.
 */
import { expect, Locator, Page, test } from '@playwright/test';
import {
  ADMIN_TOKEN,
  deleteServers,
  HUB,
  logIn,
  openPanel,
  requireDemoHub,
  serverNames
} from './demo-hub';

// Each test its own user and repository (the demo serves any owner/repo from a bare clone
// of its sample, demo/gitrepos.py): the commits pushed here reach no other spec's launch.
// Short names: BinderHub names the server `{owner}-{repo}-{8 characters}`, which JupyterHub
// refuses beyond 30 characters (projects/names.py).
const BUILDS = { user: 'build-user', repo: 'binder-demo/built' };
const FAILS = { user: 'build-fail-user', repo: 'binder-demo/broken' };
// demo/builds.py FAILING_REQUIREMENT
const FAILING_REQUIREMENT = 'demo-build-fails';
// BinderHub's phases while a build runs (binderhub-client lib/client.js), not the last two.
const RUNNING_PHASES = /^(waiting|fetching|building|pushing|built|launching)$/;

const escapeRegExp = (text: string) =>
  text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** An answer of `binder/api/{endPoint}` (JupyterLab adds a cache-busting query). */
function isEndPoint(url: string, endPoint: string): boolean {
  return new URL(url).pathname.endsWith(`/binder/api/${endPoint}`);
}

/** `/user/{user}/{name}/` of the server whose JupyterLab `page` shows. */
function serverBase(page: Page, user: string): string {
  const match = new RegExp(
    `^(${escapeRegExp(HUB)}user/${user}/([^/]+)/)lab`
  ).exec(page.url());
  expect(match, `not a JupyterLab of ${user}: ${page.url()}`).not.toBeNull();
  return match![1];
}

/**
 * A request to the server as the page makes it: the browser's cookies, and the server's
 * `_xsrf` cookie echoed in the header JupyterHub checks.
 */
async function serverRequest(
  page: Page,
  user: string,
  method: 'GET' | 'PUT',
  apiPath: string,
  data?: unknown
): Promise<any> {
  const base = serverBase(page, user);
  const basePath = new URL(base).pathname;
  const xsrf = (await page.context().cookies(base)).find(
    cookie => cookie.name === '_xsrf' && basePath.startsWith(cookie.path)
  );
  const response = await page.request.fetch(`${base}${apiPath}`, {
    method,
    headers: xsrf ? { 'X-XSRFToken': xsrf.value } : {},
    data
  });
  expect(response.ok(), await response.text()).toBe(true);
  return response.json();
}

/** Add `line` to a text file of the launched repository, as an editor saving it would. */
async function appendLine(
  page: Page,
  user: string,
  file: string,
  line: string
): Promise<void> {
  const model = await serverRequest(page, user, 'GET', `api/contents/${file}`);
  const content = `${model.content.replace(/\n?$/, '\n')}${line}\n`;
  await serverRequest(page, user, 'PUT', `api/contents/${file}`, {
    type: 'file',
    format: 'text',
    content
  });
}

async function logInAndLaunch(page: Page, user: string, repo: string) {
  // The demo's dummy authenticator: any user name, an empty password.
  await logIn(page, user);
  // The BinderHub-style launch link: the hub's spawn page, then the new named server.
  const opened = await page.goto(`hub/binder/v2/gh/${repo}/main`);
  expect(opened?.status(), await opened?.text()).toBeLessThan(400);
  await page.waitForURL(
    new RegExp(`^${escapeRegExp(HUB)}user/${user}/[^/]+/lab`),
    { timeout: 180_000 }
  );
}

function section(panel: Locator, name: string): Locator {
  return panel.locator(`[data-section="${name}"]`);
}

/** "Commit and push" in the Work section, after it read the changed file. */
async function commitAndPush(panel: Locator, message: string): Promise<void> {
  const work = section(panel, 'work');
  await work.getByRole('button', { name: 'Refresh Your work' }).click();
  await work.getByRole('textbox', { name: 'Commit message' }).fill(message);
  await work.getByRole('button', { name: 'Commit and push' }).click();
  await expect(work.locator('[data-outcome="save-work"]')).toContainText(
    'Pushed',
    { timeout: 60_000 }
  );
}

/** RAM limit 2 GB in the Resources section, then Relaunch; the server's answer. */
async function relaunchFromPanel(page: Page, panel: Locator): Promise<any> {
  const form = section(panel, 'resources');
  await form.getByLabel('RAM limit (GB)').fill('2');
  await form
    .getByRole('button', { name: 'Relaunch with these resources' })
    .click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Relaunch with new resources?');
  const answered = page.waitForResponse(
    response =>
      isEndPoint(response.url(), 'relaunch') &&
      response.request().method() === 'POST',
    { timeout: 120_000 }
  );
  await dialog.getByRole('button', { name: 'Relaunch' }).click();
  const answer = await (await answered).json();
  expect(answer.ok, answer.message).toBe(true);
  // A file other than .resources changed: BinderHub builds, and this server follows it
  // (so the browser opens no second launch).
  expect(answer.launch.kind).toBe('binderhub');
  expect(answer.launch.build.followed, answer.launch.build.message).toBe(true);
  expect(answer.launch.open).toBe(false);
  return answer;
}

test.describe('BinderHub builds followed in the panel', () => {
  test.use({ viewport: { width: 1280, height: 2000 } });

  test.beforeAll(requireDemoHub);

  test.afterEach(async ({ request }) => {
    await deleteServers(request, BUILDS.user);
    await deleteServers(request, FAILS.user);
  });

  test('a relaunch that needs a build shows its phase, its log and the new project until it is ready', async ({
    page
  }) => {
    // Two servers start (clone, JupyterLab) on a shared two-core machine.
    test.setTimeout(5 * 60 * 1000);
    const { user, repo } = BUILDS;
    await logInAndLaunch(page, user, repo);
    const panel = await openPanel(page);
    await appendLine(page, user, 'README.md', 'A line that needs a new image.');
    await commitAndPush(panel, 'Edit the README');
    const answer = await relaunchFromPanel(page, panel);
    const id: string = answer.launch.build.id;

    // While BinderHub builds and launches: the phase, the last log lines, a progress bar.
    const projects = section(panel, 'projects');
    const build = projects.getByRole('group', {
      name: `BinderHub build ${id}`
    });
    await expect(
      build.getByRole('progressbar', { name: `Building ${id}` })
    ).toBeVisible({ timeout: 30_000 });
    await expect(build.getByRole('status', { name: 'Phase' })).toHaveText(
      RUNNING_PHASES
    );
    await expect(
      build.getByRole('log', { name: 'Last log lines' })
    ).toContainText(
      /Step \d+\/42|Built image, launching\.\.\.|Launching server\.\.\./
    );

    // The project the build starts shows its own progress bar while it starts.
    const starting = projects.getByRole('progressbar', { name: /^Starting / });
    await expect(starting).toBeVisible({ timeout: 60_000 });

    // Ready: the build's bar and the project's are gone, the new project runs.
    await expect(build.getByRole('status', { name: 'Phase' })).toHaveText(
      'ready',
      {
        timeout: 120_000
      }
    );
    await expect(build.getByRole('progressbar')).toHaveCount(0);
    await expect(starting).toHaveCount(0);
    await expect(
      build.getByRole('log', { name: 'Last log lines' })
    ).toContainText('server running at ');
    const done = (
      await serverRequest(page, user, 'GET', 'binder/api/projects')
    ).builds.find((b: any) => b.id === id);
    expect(done.phase).toBe('ready');
    const row = projects.locator(`[data-project="${done.server_name}"]`);
    await expect(row.getByRole('button', { name: 'Open' })).toBeVisible();

    // "Show the whole log": BinderHub's phases in order, from waiting to the hub's ready.
    await build.getByRole('button', { name: 'Show the whole log' }).click();
    const dialog = page
      .getByRole('dialog')
      .filter({ hasText: `BinderHub build log: ${id}` });
    await expect(dialog).toBeVisible();
    const log = (await dialog.textContent()) ?? '';
    const inOrder = [
      'Waiting for build to start...',
      'Picked Git content provider.',
      'Successfully built',
      'Built image, launching...',
      'Launching server...',
      'Server ready at',
      'server running at '
    ];
    const positions = inOrder.map(line => log.indexOf(line));
    expect(positions, log).not.toContain(-1);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toHaveCount(0);
  });

  test('a build that fails shows the reason, a hint naming the file and line, and a report', async ({
    page
  }) => {
    test.setTimeout(4 * 60 * 1000);
    const { user, repo } = FAILS;
    await logInAndLaunch(page, user, repo);
    const panel = await openPanel(page);
    // The sample's requirements.txt has three comment lines: the marker is line 4.
    await appendLine(
      page,
      user,
      'requirements.txt',
      `${FAILING_REQUIREMENT}==1.0`
    );
    await commitAndPush(panel, 'Need a package nobody has');
    const answer = await relaunchFromPanel(page, panel);
    const id: string = answer.launch.build.id;

    const projects = section(panel, 'projects');
    const build = projects.getByRole('group', {
      name: `BinderHub build ${id}`
    });
    await expect(build.getByRole('status', { name: 'Phase' })).toHaveText(
      'failed',
      {
        timeout: 60_000
      }
    );
    await expect(build.getByRole('progressbar')).toHaveCount(0);
    const reason =
      'The command \'/bin/sh -c ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "requirements.txt"\' returned a non-zero code: 1';
    const failure = build.getByRole('alert');
    await expect(failure).toContainText(reason);
    await expect(failure).toContainText(
      'BinderHub could not build the image for this commit. The log points at ' +
        'requirements.txt, line 4. Fix the file and push, or relaunch an earlier commit.'
    );
    await expect(
      build.getByRole('log', { name: 'Last log lines' })
    ).toContainText(
      `No matching distribution found for ${FAILING_REQUIREMENT}==1.0`
    );

    // "Copy report": the service desk's text with BinderHub's reason, and no token.
    const report = page.waitForResponse(response =>
      /\/binder\/api\/projects\/[^/]+\/report$/.test(
        new URL(response.url()).pathname
      )
    );
    await build.getByRole('button', { name: 'Copy report' }).click();
    const text: string = (await (await report).json()).text;
    expect(text).toContain(reason);
    expect(text).toContain('requirements.txt, line 4');
    expect(text).toContain(`Repository: https://github.com/${repo}`);
    expect(text).toContain(`User: ${user}`);
    expect(text).not.toContain(ADMIN_TOKEN);
    expect(text).not.toMatch(/token=\w|Authorization/i);
    await expect(
      build.getByText(
        'Report copied: paste it into your message to the service desk.'
      )
    ).toBeVisible();
    // Nothing was launched: only the notebook itself holds a slot.
    expect(await serverNames(page.request, user)).toHaveLength(1);
  });
});
