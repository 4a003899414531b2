/**
 * The Binder panel in headless Chromium, against a real Jupyter server running the
 * extension (see jupyter_server_test_config.py). Every figure the panel should show is read
 * from the live REST API in the same test, so the assertions hold on any machine.
 */
import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import type { APIRequestContext, Locator } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const PANEL = '#binder-ext-panel';
// The docs use the committed screenshots; a run rewrites them only when asked to
// (BINDER_UPDATE_SCREENSHOTS=1), so `make test` leaves the working tree clean.
const SCREENSHOTS = process.env.BINDER_UPDATE_SCREENSHOTS
  ? path.join(__dirname, '..', 'screenshots')
  : path.join(__dirname, '..', 'test-results', 'screenshots');

// The panel's display rules (labextension/src/format.ts): one decimal, no trailing zero.
const cores = (n: number) => String(Number(n.toFixed(1)));
const gb = (bytes: number) => String(Number((bytes / 1024 ** 3).toFixed(1)));

async function api(request: APIRequestContext, endPoint: string) {
  const response = await request.get(`/binder/api/${endPoint}`);
  return { status: response.status(), body: await response.json() };
}

async function openPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.sidebar.openTab('binder-ext-panel');
  const panel = page.locator(PANEL);
  await expect(panel).toBeVisible();
  return panel;
}

function section(panel: Locator, name: string): Locator {
  return panel.locator(`[data-section="${name}"]`);
}

// JupyterLab's default width of the left sidebar.
const SIDEBAR_WIDTH = 250;
const SECTIONS = ['limits', 'persistence', 'ssh', 'resources'];
// A path as long as a deep site's, with neither space nor hyphen to break a line at.
const LONG_PATH =
  '/home/a_user_with_a_long_name_nfs_pvc/instances/octo_org_demo_repository_with_a_long_name_ab12cd34/results_2026_12_01_run_000001_output';

/**
 * The live answers, each with one warning of every level added whose message holds a long
 * path, and long names where the answer has them: the layout must wrap or shorten them.
 * The figures themselves are the server's own.
 */
async function showLongAnswers(page: IJupyterLabPageFixture): Promise<void> {
  const warnings = (kind: string, figure: string) =>
    ['info', 'warning', 'error'].map(level => ({
      kind: `${kind}-${level}`,
      level,
      figure,
      message: `A ${level} about ${LONG_PATH}: it must wrap in the sidebar.`
    }));
  const longer: Record<string, (body: any) => void> = {
    limits: body => {
      body.warnings.push(...warnings('limits', 'memory'));
      body.notice = `Notice from the site: see ${LONG_PATH}`;
    },
    persistence: body => {
      body.warnings.push(...warnings('persistence', 'used'));
      body.path = LONG_PATH;
      if (body.instance_dir) {
        body.instance_dir.path = `${LONG_PATH}/this-instance`;
      }
    },
    ssh: body => {
      body.warnings.push(...warnings('ssh', 'key'));
      body.public_key_path = LONG_PATH;
    },
    resources: body => {
      body.warnings.push(...warnings('resources', 'file'));
      body.path = `${LONG_PATH}/.resources`;
    },
    projects: body => {
      for (const server of body.servers ?? []) {
        server.display_name = `octo_organisation/${LONG_PATH.slice(1, 80)}`;
        server.ref = `feature/${LONG_PATH.slice(1, 60)}`;
      }
    },
    launch: body => {
      body.image = `registry.example.org/binder/${LONG_PATH.replace(/\//g, '-')}:0123456789ab`;
    }
  };
  await page.route(
    /\/binder\/api\/(limits|persistence|ssh|resources|launch|projects)(\?.*)?$/,
    async route => {
      if (route.request().method() !== 'GET') {
        return route.continue();
      }
      const response = await route.fetch();
      const body = await response.json();
      const endPoint = new URL(route.request().url()).pathname
        .split('/')
        .pop()!;
      longer[endPoint](body);
      await route.fulfill({ response, json: body });
    }
  );
}

/** Elements of the panel that stick out on the right, or scroll sideways themselves. */
function sidewaysOverflow(page: IJupyterLabPageFixture): Promise<string[]> {
  return page.evaluate(() => {
    const panel = document.querySelector('#binder-ext-panel') as HTMLElement;
    const right = panel.getBoundingClientRect().right + 1;
    const found: string[] = [];
    const describe = (el: Element) =>
      `${el.tagName.toLowerCase()}.${el.className} in ${
        el.closest('[data-section]')?.getAttribute('data-section') ?? 'panel'
      }: ${(el.textContent ?? '').slice(0, 60)}`;
    if (panel.scrollWidth > panel.clientWidth + 1) {
      found.push(
        `the panel scrolls: ${panel.scrollWidth} > ${panel.clientWidth}`
      );
    }
    for (const el of Array.from(panel.querySelectorAll('*'))) {
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.right > right) {
        found.push(
          `sticks out by ${Math.round(box.right - right)} px: ${describe(el)}`
        );
      }
      const style = getComputedStyle(el);
      if (
        ['auto', 'scroll'].includes(style.overflowX) &&
        el.scrollWidth > el.clientWidth + 1
      ) {
        found.push(`scrolls sideways: ${describe(el)}`);
      }
    }
    return found;
  });
}

/** Links of the panel not drawn in JupyterLab's link colour. */
function unstyledLinks(page: IJupyterLabPageFixture): Promise<string[]> {
  return page.evaluate(() => {
    const panel = document.querySelector('#binder-ext-panel') as HTMLElement;
    const probe = document.createElement('span');
    probe.style.color = 'var(--jp-content-link-color)';
    panel.append(probe);
    const linkColor = getComputedStyle(probe).color;
    probe.remove();
    const textColor = getComputedStyle(panel).color;
    return Array.from(panel.querySelectorAll('a'))
      .filter(a => {
        const color = getComputedStyle(a).color;
        return color !== linkColor || color === textColor;
      })
      .map(a => `${a.textContent}: ${getComputedStyle(a).color}`);
  });
}

/** Shapes of the sidebar icon that the theme fills (the rings must stay rings). */
function filledIconShapes(page: IJupyterLabPageFixture): Promise<string[]> {
  return page.evaluate(() => {
    const tab = document.querySelector(
      '.jp-SideBar .lm-TabBar-tab[data-id="binder-ext-panel"] svg'
    );
    if (!tab) {
      return ['no icon in the sidebar tab'];
    }
    return Array.from(tab.querySelectorAll('circle, path'))
      .filter(shape => {
        const style = getComputedStyle(shape);
        return style.fill !== 'none' || style.stroke === 'none';
      })
      .map(shape => `${shape.tagName}: fill ${getComputedStyle(shape).fill}`);
  });
}

test.describe('Binder panel', () => {
  // Galata mocks Jupyter's sessions API with a URL pattern (/api/sessions) that also
  // matches binder/api/sessions (the old name of binder/api/projects); no mock.
  test.use({ sessions: null });

  test('shows this launch and the live resource figures', async ({
    page,
    request
  }) => {
    const ourErrors: string[] = [];
    page.on('console', message => {
      if (message.type() === 'error' && /binder/i.test(message.text())) {
        ourErrors.push(message.text());
      }
    });
    page.on('pageerror', error => ourErrors.push(error.message));
    const launch = await api(request, 'launch');
    expect(launch.status).toBe(200);
    const panel = await openPanel(page);

    const launchSection = section(panel, 'launch');
    await expect(
      launchSection.locator('[data-row="repository"]')
    ).toContainText(`${launch.body.owner}/${launch.body.repo}`);
    await expect(launchSection.locator('[data-row="commit"]')).toContainText(
      launch.body.resolved_ref.slice(0, 12)
    );
    await expect(launchSection.locator('[data-row="server"]')).toContainText(
      launch.body.server_name
    );

    const limits = await api(request, 'limits');
    expect(limits.status).toBe(200);
    const { cpu, memory, gpu } = limits.body;
    const cpuFigure = section(panel, 'limits').locator('[data-resource="cpu"]');
    const memFigure = section(panel, 'limits').locator(
      '[data-resource="memory"]'
    );
    await expect(cpuFigure.locator('[data-figure="limit"]')).toHaveText(
      cores(cpu.limit)
    );
    await expect(cpuFigure.locator('[data-figure="guarantee"]')).toHaveText(
      cores(cpu.guarantee)
    );
    await expect(cpuFigure.locator('[data-figure="used"]')).toHaveText(
      /^\d+(\.\d)?$/
    );
    await expect(memFigure.locator('[data-figure="limit"]')).toHaveText(
      gb(memory.limit)
    );
    await expect(memFigure.locator('[data-figure="guarantee"]')).toHaveText(
      gb(memory.guarantee)
    );
    await expect(memFigure.locator('[data-figure="used"]')).toHaveText(
      /^\d+(\.\d)?$/
    );
    // Where a figure came from is said on hover, not in the line.
    await expect(cpuFigure).toHaveAttribute(
      'title',
      new RegExp(cpu.source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    );
    await expect(cpuFigure).not.toContainText(cpu.source);
    const gpuCount = section(panel, 'limits').locator(
      '[data-resource="gpu"] [data-figure="count"]'
    );
    await expect(gpuCount).toHaveText(
      gpu.count > 0 ? String(gpu.count) : 'none'
    );

    // The status-bar item shows the same CPU limit, and exactly one RAM figure is in
    // the status bar: jupyter-resource-usage (installed here) shows its `Mem:` item only
    // when it has metrics, and ours shows RAM only when that item does not.
    const status = page.locator('.jp-BinderExt-status');
    await expect(status).toHaveText(
      new RegExp(`^CPU \\d+(\\.\\d)?/${cores(cpu.limit).replace('.', '\\.')}`)
    );
    const memItem = page.locator(
      '#jp-main-statusbar .jp-StatusBar-Item:not(.lm-mod-hidden)',
      { hasText: /^\s*Mem:/ }
    );
    const theirs = await memItem.count();
    await expect(status.locator('[data-memory]')).toHaveAttribute(
      'data-memory',
      theirs > 0 ? 'left-out' : 'shown'
    );
    if (theirs > 0) {
      await expect(status).not.toContainText('RAM');
    } else {
      await expect(status).toContainText(
        new RegExp(
          `RAM \\d+(\\.\\d)?/${gb(memory.limit).replace('.', '\\.')} GB`
        )
      );
    }
    // The settings schema loaded and validated (defaults of schema/plugin.json).
    const settings = await (
      await request.get('/lab/api/settings/jupyter-binder-ext:plugin')
    ).json();
    expect(settings.schema.properties.limitsPollInterval.default).toBe(5);
    expect(ourErrors).toEqual([]);
  });

  test('shows the persistent storage and the SSH key, never the private key', async ({
    page,
    request,
    tmpPath
  }) => {
    const persistence = await api(request, 'persistence');
    const ssh = await api(request, 'ssh');
    expect(persistence.status).toBe(200);
    expect(ssh.status).toBe(200);
    const panel = await openPanel(page);

    const storage = section(panel, 'persistence');
    await expect(
      storage.locator('[data-row="path"] .jp-BinderExt-long')
    ).toHaveAttribute('title', persistence.body.path);
    for (const warning of persistence.body.warnings) {
      await expect(storage.locator(`[data-kind="${warning.kind}"]`)).toHaveText(
        warning.message
      );
    }

    const sshSection = section(panel, 'ssh');
    await expect(sshSection.locator('[data-figure="fingerprint"]')).toHaveText(
      ssh.body.fingerprint
    );
    await expect(sshSection.locator('[data-figure="public-key"]')).toHaveText(
      ssh.body.public_key
    );
    // "Copy public key" puts exactly the public key on the clipboard.
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write']);
    await sshSection.locator('[data-action="copy-public-key"]').click();
    await expect
      .poll(() => page.evaluate(() => navigator.clipboard.readText()))
      .toBe(ssh.body.public_key);
    // No line of the private key's body anywhere in the page.
    const privateKey = fs.readFileSync(ssh.body.private_key.path, 'utf-8');
    const html = await page.content();
    for (const line of privateKey
      .split('\n')
      .filter(l => l && !l.startsWith('-----'))) {
      expect(html).not.toContain(line);
    }

    // Create this instance's folder, then open it in the file browser.
    expect(persistence.body.instance_dir.exists).toBe(false);
    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.openHomeDirectory();
    await openPanel(page);
    await storage.locator('[data-action="create-instance-folder"]').click();
    await expect(
      storage.locator('[data-action="open-instance-folder"]')
    ).toBeVisible();
    // Told once: inline, with no toast while the panel shows it.
    await expect(
      storage.locator('[data-outcome="instance-dir"]')
    ).toBeVisible();
    await expect(page.locator('.jp-toast-message')).toHaveCount(0);
    const created = await api(request, 'persistence');
    expect(created.body.instance_dir.exists).toBe(true);
    expect(created.body.link.exists).toBe(true);
    const link = created.body.link.browser_path;
    // The file browser shows the new link at once, not at its next poll.
    await page.sidebar.openTab('filebrowser');
    await expect(
      page.locator('.jp-DirListing-item', { hasText: link })
    ).toBeVisible({ timeout: 2000 });

    // "Copy to persistent storage" from the file browser's context menu: paths kept.
    await page.contents.uploadContent(
      'first copy\n',
      'text',
      `${tmpPath}/note.txt`
    );
    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.openDirectory(tmpPath);
    const item = page.locator('.jp-DirListing-item', { hasText: 'note.txt' });
    await item.click({ button: 'right' });
    await page
      .getByRole('menuitem', { name: 'Copy to persistent storage' })
      .click();
    await expect
      .poll(async () =>
        (
          await request.get(`/api/contents/${link}/${tmpPath}/note.txt`)
        ).status()
      )
      .toBe(200);

    // A second copy asks before replacing; "Skip" leaves the volume's file as it was.
    await page.contents.uploadContent(
      'second copy\n',
      'text',
      `${tmpPath}/note.txt`
    );
    await page.filebrowser.openDirectory(tmpPath);
    await item.click({ button: 'right' });
    await page
      .getByRole('menuitem', { name: 'Copy to persistent storage' })
      .click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Replace note.txt?');
    await dialog.getByRole('button', { name: 'Skip' }).click();
    const kept = await (
      await request.get(`/api/contents/${link}/${tmpPath}/note.txt`)
    ).json();
    expect(kept.content).toBe('first copy\n');

    await openPanel(page);
    await storage.locator('[data-action="open-instance-folder"]').click();
    await expect.poll(() => page.filebrowser.getCurrentDirectory()).toBe(link);
  });

  test('the resources form shows the server’s problem for a request above its limit', async ({
    page,
    request
  }) => {
    const before = await api(request, 'resources');
    expect(before.status).toBe(200);
    // What the server says about cpur above cpul (nothing is written: it is invalid).
    const check = await request.put('/binder/api/resources', {
      data: { values: { cpur: 8, cpul: 4 } },
      headers: { 'If-Match': before.body.etag }
    });
    expect(check.status()).toBe(400);
    const { problems } = await check.json();
    expect(problems.length).toBeGreaterThan(0);

    const panel = await openPanel(page);
    const form = section(panel, 'resources');
    await expect(form.locator('[data-figure="resources-text"]')).toHaveText(
      before.body.text
    );
    await expect(form.locator('input[name="gpu"]')).toHaveAttribute(
      'placeholder',
      String(before.body.defaults.gpu)
    );
    await form.locator('input[name="cpur"]').fill('8');
    await form.locator('input[name="cpul"]').fill('4');
    await form.locator('[data-action="save-resources"]').click();
    for (const problem of problems) {
      await expect(
        form.locator(`[data-problem="${problem.key}"]`)
      ).toContainText(problem.message);
    }
    await expect(form.locator('input[name="cpur"]')).toHaveAttribute(
      'aria-invalid',
      'true'
    );
    const after = await api(request, 'resources');
    expect(after.body.text).toBe(before.body.text);

    // Above the site's ceiling the form refuses before asking the server.
    const ceiling = before.body.ceilings.meml;
    if (ceiling !== null) {
      await form.locator('input[name="meml"]').fill(String(ceiling + 1));
      await expect(form.locator('[data-problem="meml"]')).toContainText(
        `at most ${ceiling}`
      );
      await expect(
        form.locator('[data-action="save-resources"]')
      ).toBeDisabled();
    }

    // A valid change is written, and the form shows the new file.
    await form.locator('input[name="cpur"]').fill('1');
    await form.locator('input[name="meml"]').fill('6');
    await form.locator('[data-action="save-resources"]').click();
    await expect(form.locator('[data-figure="resources-text"]')).toContainText(
      'meml=6'
    );
    const saved = await api(request, 'resources');
    expect(saved.body.values.meml).toBe(6);
    expect(saved.body.text).toContain('# Resource requests (UI test)');
    // The earlier refusal is gone with its red border: one story per action.
    await expect(form.locator('.jp-BinderExt-problem')).toHaveCount(0);
    await expect(form.locator('input[name="cpur"]')).toHaveAttribute(
      'aria-invalid',
      'false'
    );
  });

  test('relaunch commits .resources alone, pushes it and opens the launch of the commit', async ({
    page,
    request
  }) => {
    const launch = (await api(request, 'launch')).body;
    const ssh = (await api(request, 'ssh')).body;
    const bare: string = ssh.repo.push_url; // the local stand-in for GitHub
    const gitRemote = (...args: string[]) =>
      execFileSync('git', ['--git-dir', bare, ...args], {
        encoding: 'utf-8'
      }).trim();
    const before = gitRemote('rev-parse', 'main');

    // BinderHub cannot be reached from here: a stand-in page answers its launch URLs.
    await page.context().route(`${launch.launch_host}**`, route =>
      route.fulfill({
        contentType: 'text/html',
        body: '<title>BinderHub stand-in</title>'
      })
    );
    const panel = await openPanel(page);
    const form = section(panel, 'resources');
    await expect(form.locator('input[name="meml"]')).toBeVisible();
    // A refused value first: its error must not outlive the successful relaunch.
    await form.locator('input[name="meml"]').fill('4GB');
    await form.locator('[data-action="save-resources"]').click();
    await expect(form.locator('[data-problem="meml"]')).toBeVisible();
    await form.locator('input[name="meml"]').fill('8');
    await form.locator('[data-action="relaunch"]').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Relaunch with new resources?');
    const popup = page.context().waitForEvent('page');
    await dialog.getByRole('button', { name: 'Relaunch' }).click();

    const outcome = form.locator('[data-outcome="relaunch"]');
    await expect(outcome).toContainText('pushed');
    await expect(form.locator('.jp-BinderExt-problem')).toHaveCount(0);
    await expect(form.locator('input[name="meml"]')).toHaveAttribute(
      'aria-invalid',
      'false'
    );
    const after = gitRemote('rev-parse', 'main');
    expect(after).not.toBe(before);
    expect(gitRemote('show', 'main:.resources')).toContain('meml=8');
    expect(gitRemote('show', '--name-only', '--format=', 'main')).toBe(
      '.resources'
    );
    expect(gitRemote('rev-parse', 'main~1')).toBe(before);
    const opened = await popup;
    expect(opened.url()).toBe(
      `${launch.launch_host}v2/gh/${launch.owner}/${launch.repo}/${after}`
    );
    await expect(outcome.locator('a')).toHaveAttribute('href', opened.url());
  });

  test.describe('at the default sidebar width', () => {
    // Tall enough for the whole panel in one screenshot.
    test.use({ viewport: { width: 1280, height: 4000 } });

    test('screenshots of the panel in the light and the dark theme', async ({
      page,
      request
    }) => {
      const limits = await api(request, 'limits');
      const panel = await openPanel(page);
      await page.sidebar.setWidth(SIDEBAR_WIDTH);
      await expect(
        section(panel, 'limits').locator(
          '[data-resource="memory"] [data-figure="limit"]'
        )
      ).toHaveText(gb(limits.body.memory.limit));
      await expect(
        section(panel, 'ssh').locator('[data-figure="fingerprint"]')
      ).toBeVisible();
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      const content = panel.locator('.jp-BinderExt-content');
      await content.screenshot({
        path: path.join(SCREENSHOTS, 'binder-panel-light.png')
      });
      await page.locator('#jp-main-statusbar').screenshot({
        path: path.join(SCREENSHOTS, 'binder-statusbar-light.png')
      });

      await page.theme.setDarkTheme();
      expect(await page.theme.getTheme()).toBe('JupyterLab Dark');
      await expect(panel).toBeVisible();
      await content.screenshot({
        path: path.join(SCREENSHOTS, 'binder-panel-dark.png')
      });
      await page.theme.setLightTheme();
    });

    test('nothing scrolls sideways, with long paths, names and every warning', async ({
      page
    }) => {
      await showLongAnswers(page);
      const panel = await openPanel(page);
      await page.sidebar.setWidth(SIDEBAR_WIDTH);
      for (const name of SECTIONS) {
        await expect(
          section(panel, name).locator('.jp-BinderExt-warning').first()
        ).toBeVisible();
      }
      for (const theme of ['light', 'dark'] as const) {
        if (theme === 'dark') {
          await page.theme.setDarkTheme();
        }
        await expect(panel).toBeVisible();
        expect(await sidewaysOverflow(page)).toEqual([]);
        expect(await unstyledLinks(page)).toEqual([]);
        expect(await filledIconShapes(page)).toEqual([]);
      }
      await page.theme.setLightTheme();
    });
  });

  test.describe('at 200 % zoom', () => {
    // Browser zoom halves the CSS viewport and doubles the device pixels.
    test.use({ viewport: { width: 640, height: 1300 }, deviceScaleFactor: 2 });

    test('nothing scrolls sideways', async ({ page }) => {
      await showLongAnswers(page);
      const panel = await openPanel(page);
      await page.sidebar.setWidth(SIDEBAR_WIDTH);
      await expect(section(panel, 'limits')).toBeVisible();
      expect(await sidewaysOverflow(page)).toEqual([]);
    });
  });

  test('a destructive action on this server is enabled only once its name is typed', async ({
    page
  }) => {
    await openPanel(page);
    const name = 'octo-org-demo-r-ository-with-a-ab12cd34';
    void page.evaluate(
      ([command, server]) =>
        (window as any).jupyterapp.commands.execute(command, {
          name: server,
          current: true
        }),
      ['binder:delete-project', name]
    );
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('will be stopped and deleted');
    const accept = dialog.getByRole('button', { name: 'Delete' });
    await expect(accept).toBeDisabled();
    const input = dialog.locator('input');
    await input.fill(name.slice(0, -1));
    await input.press('Enter');
    await expect(dialog).toBeVisible();
    await expect(accept).toBeDisabled();
    await input.fill(name);
    await expect(accept).toBeEnabled();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
  });

  test('the projects section shows what the hub answers, and the rest keeps working', async ({
    page,
    request
  }) => {
    // Hook: with BINDER_UI_TESTS_HUB_* set (see jupyter_server_test_config.py) this is a
    // real hub's list; without, the hub address is a closed port and the answer an error.
    const sessions = await api(request, 'projects');
    // The status-bar item opens the panel.
    await expect(page.locator(PANEL)).toBeHidden();
    await page.locator('.jp-BinderExt-status').click();
    const panel = page.locator(PANEL);
    await expect(panel).toBeVisible();
    const projects = section(panel, 'projects');
    if (sessions.status === 200) {
      await expect(projects.locator('.jp-BinderExt-sectionName')).toHaveText(
        `Projects (${sessions.body.used} of ${sessions.body.limit})`
      );
      for (const server of sessions.body.servers) {
        const row = projects.locator(`[data-project="${server.name}"]`);
        await expect(row).toBeVisible();
        // Two projects of one repository tell apart: what was launched, and when.
        if (server.commit || server.ref) {
          await expect(row.locator('[data-figure="launched"]')).toContainText(
            server.commit || server.ref
          );
        }
        if (server.started) {
          await expect(row.locator('[data-figure="started"]')).toBeVisible();
        }
      }
      // A stopped project still holds a slot; Delete (after confirming) frees it.
      const stopped = sessions.body.servers.find(
        (s: any) => s.stopped && !s.is_current
      );
      if (stopped) {
        const item = projects.locator(`[data-project="${stopped.name}"]`);
        await expect(item).toHaveAttribute('data-state', 'stopped');
        await item.locator('[data-action="delete"]').click();
        const dialog = page.locator('.jp-Dialog');
        await expect(dialog).toContainText(stopped.name);
        // Said as what will happen, before it does.
        await expect(dialog).toContainText('will be stopped and deleted');
        await dialog.getByRole('button', { name: 'Delete' }).click();
        await expect(item).toHaveCount(0);
        const after = await api(request, 'projects');
        expect(after.body.servers.map((s: any) => s.name)).not.toContain(
          stopped.name
        );
        expect(after.body.used).toBe(sessions.body.used - 1);
        await expect(projects.locator('.jp-BinderExt-sectionName')).toHaveText(
          `Projects (${after.body.used} of ${after.body.limit})`
        );
      }
    } else {
      expect(sessions.status).toBeGreaterThanOrEqual(400);
      await expect(projects.locator('[role="alert"]')).toHaveText(
        sessions.body.message
      );
    }
    // The other sections are unaffected.
    await expect(
      section(panel, 'limits').locator(
        '[data-resource="cpu"] [data-figure="limit"]'
      )
    ).toHaveText(/\d/);
    await expect(
      section(panel, 'launch').locator('[data-row="repository"]')
    ).toBeVisible();
  });
});

// Keep the import: galata's namespace types the sidebar ids above.
void galata;
